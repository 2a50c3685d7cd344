// Batching over models exported with a fixed batch size: the analyses batch freely, the session
// splits. Checked against one-image passes of the same model, on real onnxruntime-node.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseModel, seededRandom, tensorToFloat32, zfTestModel } from '../onnx/index.ts';
import { nodeRuntimeHost } from '../runtime/launch-node.ts';
import { chooseProvider } from '../runtime/provider.ts';
import { ModelSession } from './model-session.ts';

let tmp: string;
const host = nodeRuntimeHost();

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-session-'));
  writeFileSync(path.join(tmp, 'fixed1.onnx'), zfTestModel({ inputSize: 64, channels: 1, classes: 4, seed: 3, batch: 1 }));
  writeFileSync(path.join(tmp, 'fixed2.onnx'), zfTestModel({ inputSize: 64, channels: 1, classes: 4, seed: 3, batch: 2 }));
});

afterAll(async () => {
  await host.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('ModelSession.forward with a fixed batch dimension', () => {
  for (const [file, fixed] of [['fixed1.onnx', 1], ['fixed2.onnx', 2]] as const) {
    it(`runs 5 images through a batch-${fixed} model as the one-image passes do, layers and switches included`, async () => {
      const m = await ModelSession.open(path.join(tmp, file), host, chooseProvider('cpu'));
      expect(m.info.input.dims[0]).toBe(fixed);
      const per = 64 * 64;
      const rand = seededRandom(11);
      const batch = Float32Array.from({ length: 5 * per }, () => rand() * 2 - 1);
      const fetches = ['logits', 'relu2', m.info.layers[0].id];
      const out = await m.forward(batch, 5, fetches);
      for (let i = 0; i < 5; i++) {
        // The reference pass: image i alone, padded with zero images up to the fixed size.
        const one = new Float32Array(fixed * per);
        one.set(batch.subarray(i * per, (i + 1) * per));
        const ref = await m.forward(one, fixed, fetches);
        for (const f of fetches) {
          expect(out[f].dims[0]).toBe(5);
          const item = out[f].data.length / 5;
          expect(Array.from(out[f].data.subarray(i * item, (i + 1) * item) as Float32Array)).toEqual(Array.from(ref[f].data.subarray(0, item) as Float32Array));
        }
      }
      await m.close();
    });
  }
});

describe('ModelSession.forwardAt (a copy tapped at just the tensors asked for)', () => {
  it('returns what the fully tapped session returns for those tensors, also over a fixed batch size', async () => {
    for (const file of ['fixed1.onnx', 'fixed2.onnx']) {
      const m = await ModelSession.open(path.join(tmp, file), host, chooseProvider('cpu'));
      const rand = seededRandom(5);
      const batch = Float32Array.from({ length: 3 * 64 * 64 }, () => rand() * 2 - 1);
      const fetches = ['relu1', 'fc6', 'logits'];
      const slim = await (await m.forwardAt(['relu1', 'fc6']))(batch, 3, fetches);
      const full = await m.forward(batch, 3, fetches);
      for (const f of fetches) {
        expect(slim[f].dims).toEqual(full[f].dims);
        const a = slim[f].data as Float32Array;
        const b = full[f].data as Float32Array;
        // Fused Conv+ReLU may round differently from the unfused pair.
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(b[i]));
      }
      await m.close();
    }
  });

  it('falls back to the session itself once the file changed on disk, so the two never disagree', async () => {
    const file = path.join(tmp, 'changing.onnx');
    writeFileSync(file, zfTestModel({ inputSize: 64, channels: 1, classes: 4, seed: 3 }));
    const m = await ModelSession.open(file, host, chooseProvider('cpu'));
    const batch = Float32Array.from({ length: 64 * 64 }, (_, i) => Math.sin(i));
    const before = await (await m.forwardAt(['relu2']))(batch, 1, ['logits']);
    writeFileSync(file, zfTestModel({ inputSize: 64, channels: 1, classes: 4, seed: 99 }));
    const after = await (await m.forwardAt(['relu3']))(batch, 1, ['logits']);
    const own = await m.forward(batch, 1, ['logits']);
    expect(Array.from(after.logits.data as Float32Array)).toEqual(Array.from(own.logits.data as Float32Array));
    expect(Math.max(...Array.from(before.logits.data as Float32Array, (v, i) => Math.abs(v - (own.logits.data as Float32Array)[i])))).toBeLessThan(1e-5);
    await m.close();
  });
});

describe('ModelSession.variantForward', () => {
  it('keeps working after newer copies evicted its own (it is loaded again)', async () => {
    const m = await ModelSession.open(path.join(tmp, 'fixed1.onnx'), host, chooseProvider('cpu'));
    const batch = Float32Array.from({ length: 64 * 64 }, (_, i) => Math.cos(i));
    const first = await m.forwardAt(['relu1']);
    const want = await first(batch, 1, ['relu1']);
    // More copies than the session keeps (3): the first is released in the runtime.
    for (const l of ['relu2', 'relu3', 'relu4', 'relu5']) await (await m.forwardAt([l]))(batch, 1, [l]);
    const again = await first(batch, 1, ['relu1']);
    expect(Array.from(again.relu1.data as Float32Array)).toEqual(Array.from(want.relu1.data as Float32Array));
    await m.close();
  });
});

describe('ModelSession.loadWeights', () => {
  it('the outline holds the first Conv layer\'s weights; the others arrive on demand, equal to the file\'s', async () => {
    const file = path.join(tmp, 'fixed1.onnx');
    const m = await ModelSession.open(file, host, chooseProvider('cpu'));
    const convWeights = m.graph.layers.filter((l) => l.op === 'Conv').map((l) => m.graph.nodes.find((n) => n.name === l.node)!.inputs[1]);
    expect(convWeights.length).toBeGreaterThan(1);
    const [first, second] = convWeights;
    expect(tensorToFloat32(m.graph.initializers.get(first)!).length).toBeGreaterThan(0);
    expect(() => tensorToFloat32(m.graph.initializers.get(second)!)).toThrow();
    await m.loadWeights([first, second]);
    const reference = parseModel(readFileSync(file), 'fixed1.onnx').graph!.initializer;
    for (const name of [first, second]) {
      expect(Array.from(tensorToFloat32(m.graph.initializers.get(name)!))).toEqual(Array.from(tensorToFloat32(reference.find((t) => t.name === name)!)));
    }
    await m.close();
  });
});
