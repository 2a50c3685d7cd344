// Batching over models exported with a fixed batch size: the analyses batch freely, the session
// splits. Checked against one-image passes of the same model, on real onnxruntime-node.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zfTestModel, seededRandom } from '../onnx/index.ts';
import { WorkerThreadHost } from '../runtime/host.ts';
import { chooseProvider } from '../runtime/provider.ts';
import { ModelSession } from './model-session.ts';

let tmp: string;
const host = new WorkerThreadHost();

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
