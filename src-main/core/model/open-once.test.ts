// A command that reads a few tensors loads one copy of the model, chosen from its parsed graph, and
// that copy serves its passes: no second session (the CLI opened two before: the tapped one only ran
// a zero pass to learn shapes). Real runtime process; opens counted by a host that delegates to it.
import { afterAll, describe, expect, it } from 'vitest';
import type { RuntimeHost } from '../runtime/host.ts';
import { nodeRuntimeHost } from '../runtime/launch-node.ts';
import { chooseProvider } from '../runtime/provider.ts';
import { ModelSession } from './model-session.ts';
import { defaultPaths } from './resources.ts';

const real = nodeRuntimeHost();
const opened: string[] = [];
const host: RuntimeHost = {
  open: (key, source, choice, watch) => (opened.push(JSON.stringify(source.rewrite)), real.open(key, source, choice, watch)),
  load: (...a) => real.load(...a),
  describe: (...a) => real.describe(...a),
  run: (...a) => real.run(...a),
  project: (...a) => real.project(...a),
  prepare: (...a) => real.prepare(...a),
  weights: (...a) => real.weights(...a),
  release: (...a) => real.release(...a),
  close: () => real.close(),
};
const cpu = chooseProvider('cpu');
const model = defaultPaths().model;
const relu = (n: number) => `/relu${n}/Relu_output_0`;
const image = new Float32Array(64 * 64).map((_, i) => Math.sin(i * 0.11));

afterAll(() => real.close());

describe('ModelSession.open with a rewrite', () => {
  it('loads one light copy that serves forwardAt of what it taps, with the same numbers as the tapped session', async () => {
    opened.length = 0;
    const light = await ModelSession.open(model, host, cpu, { rewrite: () => ({ kind: 'outputs', tensors: [relu(1), relu(5)] }) });
    const forward = await light.forwardAt([relu(5), relu(1)]);
    const out = await forward(image, 1, [relu(1), relu(5)]);
    expect(opened).toEqual([JSON.stringify({ kind: 'outputs', tensors: [relu(1), relu(5)] })]);
    expect(light.canProject).toBe(false);
    expect(light.info.layers.find((l) => l.id === relu(1))!.shape).toEqual([1, 32, 32, 32]);
    expect(light.info.layers.find((l) => l.id === '/conv2/Conv_output_0')!.shape).toEqual([]);
    await expect(light.keep('x', image, [])).rejects.toMatchObject({ code: 'INTERNAL' });

    const tapped = await ModelSession.open(model, host, cpu);
    const ref = await tapped.forward(image, 1, [relu(1), relu(5)]);
    expect(out[relu(1)].data).toEqual(ref[relu(1)].data);
    expect(out[relu(5)].data).toEqual(ref[relu(5)].data);
    expect(tapped.canProject).toBe(true);
  }, 60_000);

  it('a sweep opened with its distance copy runs on it; another tensor still gets its own copy', async () => {
    opened.length = 0;
    const rewrite = { kind: 'distances' as const, layers: [relu(1)] };
    const m = await ModelSession.open(model, host, cpu, { rewrite: () => rewrite });
    await m.variantForward(rewrite);
    expect(opened).toEqual([JSON.stringify(rewrite)]);
    await m.forwardAt([relu(3)]);
    expect(opened).toHaveLength(2);
  }, 60_000);

  it('an unknown layer chosen from the graph fails before anything loads', async () => {
    opened.length = 0;
    await expect(ModelSession.open(model, host, cpu, { rewrite: () => ({ kind: 'outputs', tensors: ['nope'] }) })).rejects.toMatchObject({
      message: expect.stringMatching(/zf-mini\.onnx: no node of the model produces "nope"/),
    });
  }, 60_000);
});
