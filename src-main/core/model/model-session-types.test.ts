// A valid model with an int64 Cast on the spine, a bool Greater feeding a Where, a Shape → Cast side
// branch and no value_info (issue 11 item 10): it opens, lists every layer, and predicts what plain
// onnxruntime computes on the untapped model.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mixedTypesTestModel, seededRandom } from '../onnx/index.ts';
import { nodeRuntimeHost } from '../runtime/launch-node.ts';
import { chooseProvider } from '../runtime/provider.ts';
import { ModelSession } from './model-session.ts';

let tmp: string;
const host = nodeRuntimeHost();

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-types-'));
  writeFileSync(path.join(tmp, 'mixed.onnx'), mixedTypesTestModel());
});

afterAll(async () => {
  await host.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('a model with non-float values on the spine', () => {
  it('opens with ModelSession.open, lists every layer (non-float ones too) and predicts as plain onnxruntime does', async () => {
    const file = path.join(tmp, 'mixed.onnx');
    const m = await ModelSession.open(file, host, chooseProvider('cpu'));
    const shapes = Object.fromEntries(m.info.layers.map((l) => [l.id, l.shape]));
    expect(shapes).toMatchObject({ r1: [1, 4, 16, 16], as_int: [1, 4, 16, 16], as_float: [1, 4, 16, 16], leaky: [1, 4, 16, 16], pool: [1, 4, 8, 8], flat: [1, 256], logits: [1, 3] });
    // The bool layer is listed, unmeasured: the runtime returns float32 and int64 only.
    expect(shapes.positive).toEqual([]);
    expect(m.info.numClasses).toBe(3);

    const rnd = seededRandom(4);
    const x = Float32Array.from({ length: 3 * 256 }, () => rnd() * 2 - 1);
    const plain = await ort.InferenceSession.create(file, { logSeverityLevel: 3 });
    const expected = (await plain.run({ x: new ort.Tensor('float32', x, [3, 1, 16, 16]) })).logits.data as Float32Array;
    await plain.release();
    const out = await m.forward(x, 3, ['logits', 'as_int', 'r1']);
    expect(Array.from(out.logits.data as Float32Array)).toEqual(Array.from(expected));
    expect(out.as_int).toMatchObject({ type: 'int64', dims: [3, 4, 16, 16] });
    for (let i = 0; i < 3; i++) {
      const { logits } = await m.classify(x.subarray(i * 256, (i + 1) * 256));
      expect(Array.from(logits)).toEqual(Array.from(expected.subarray(i * 3, (i + 1) * 3)));
    }
    // The light-tap copies (withOutputs) type their outputs the same way.
    const at = await m.forwardAt(['as_int', 'leaky']);
    const light = await at(x, 3, ['as_int', 'leaky']);
    expect(Array.from(light.as_int.data as Int32Array)).toEqual(Array.from(out.as_int.data as Int32Array));
    await m.close();
  });
});
