// Copies of an opened model whose weights onnxruntime reads from the model's file by reference
// (onnx/weights-by-reference.ts): the same numbers as the model given whole, nothing of the file's
// buffer kept, through a link to the file too, and the file read again only when it changed.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TensorProto_DataLocation } from 'onnx-buf';
import { GraphBuilder } from '../onnx/builder.ts';
import { loadModelFile, parseModel, serializeModel } from '../onnx/model.ts';
import { withOutputs } from '../onnx/tap.ts';
import { referencingFile } from '../onnx/weights-by-reference.ts';
import { seededRandom } from '../onnx/seeded-random.ts';
import { nodeRuntimeHost } from './launch-node.ts';
import { chooseProvider } from './provider.ts';
import type { ModelRewrite } from './protocol.ts';

/** Two convs whose weights are over 64 KiB (referenced) and a small one (copied), a pool and a dense layer. */
function bigWeightsModel(): Uint8Array {
  const b = new GraphBuilder({ opset: 13, seed: 5 });
  let h = b.input('input', ['N', 3, 20, 20]);
  h = b.relu(b.conv(h, { outChannels: 8, kernel: 3, pad: 1, name: 'small' }), 'relu0');
  h = b.relu(b.conv(h, { outChannels: 48, kernel: 7, pad: 3, name: 'conv1' }), 'relu1');
  h = b.maxPool(h, { kernel: 2, stride: 2, name: 'pool1' });
  h = b.relu(b.conv(h, { outChannels: 64, kernel: 3, pad: 1, name: 'conv2' }), 'relu2');
  h = b.gemm(b.flatten(h), { out: 10, name: 'fc' });
  b.output(h, 'logits');
  return b.build();
}

const dir = mkdtempSync(path.join(tmpdir(), 'convscope-byref-'));
const file = path.join(dir, 'models', 'big.onnx');
mkdirSync(path.dirname(file));
writeFileSync(file, bigWeightsModel());
// A link from another folder: onnxruntime resolves links, so the copy names the real file.
const link = path.join(dir, 'elsewhere', 'linked.onnx');
mkdirSync(path.dirname(link));
symlinkSync(file, link);

const host = nodeRuntimeHost();
const cpu = chooseProvider('cpu');
const rnd = seededRandom(3);
const x = { input: { dims: [2, 3, 20, 20], data: Float32Array.from({ length: 2 * 3 * 400 }, () => rnd() * 2 - 1) } };
const taps = ['relu1', 'relu2', 'logits'];
const source = (f: string, rewrite: ModelRewrite) => {
  const st = statSync(f);
  return { file: f, rewrite, mtimeMs: st.mtimeMs, size: st.size };
};

afterAll(async () => {
  await host.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('referencingFile', () => {
  it('points each large constant at its own bytes in the file, copies the small ones, and keeps nothing of the buffer', async () => {
    const { model, bytes } = await loadModelFile(file);
    const st = statSync(file);
    const byRef = referencingFile(model, { file, bytes, mtimeMs: st.mtimeMs, size: st.size })!;
    expect(byRef.folder).toBe(path.dirname(file));
    const onDisk = readFileSync(file);
    const original = new Map(model.graph!.initializer.map((t) => [t.name, t]));
    const external = byRef.model.graph!.initializer.filter((t) => t.dataLocation === TensorProto_DataLocation.EXTERNAL);
    expect(external.map((t) => t.name).sort()).toEqual(['conv1.weight', 'conv2.weight', 'fc.weight'].sort());
    expect(byRef.referenced).toBe(3);
    for (const t of external) {
      const kv = new Map(t.externalData.map((e) => [e.key, e.value]));
      expect(kv.get('location')).toBe('big.onnx');
      const [offset, length] = [Number(kv.get('offset')), Number(kv.get('length'))];
      expect(Buffer.from(onDisk.subarray(offset, offset + length)).equals(Buffer.from(original.get(t.name)!.rawData)), t.name).toBe(true);
      expect(t.rawData.byteLength).toBe(0);
    }
    for (const t of byRef.model.graph!.initializer) expect(t.rawData.buffer, t.name).not.toBe(bytes.buffer);
    const small = byRef.model.graph!.initializer.find((t) => t.name === 'small.weight')!;
    expect(small.dataLocation).toBe(TensorProto_DataLocation.DEFAULT);
    expect(Buffer.from(small.rawData).equals(Buffer.from(original.get('small.weight')!.rawData))).toBe(true);
    expect(serializeModel(byRef.model).byteLength).toBeLessThan(onDisk.byteLength / 10);
  });

  it('gives null for a model none of whose constants are views of the file read', () => {
    const bytes = bigWeightsModel();
    const model = parseModel(bytes, 'big.onnx');
    expect(referencingFile(model, { file, bytes: new Uint8Array(bytes.byteLength), mtimeMs: 0, size: bytes.byteLength })).toBeNull();
  });
});

describe('copies of an opened model, weights read by reference', () => {
  it('run with the numbers of the model given whole, the file opened directly or through a link', async () => {
    await host.load('whole', serializeModel(withOutputs(parseModel(readFileSync(file), 'big.onnx'), taps.slice(0, 2))), cpu);
    const want = await host.run('whole', x, taps);
    for (const f of [file, link]) {
      const tapped = await host.open(`tapped ${f}`, source(f, { kind: 'tap-all' }), cpu);
      expect(tapped.weightsByReference, f).toBe(3);
      const light = await host.open(`light ${f}`, source(f, { kind: 'outputs', tensors: taps.slice(0, 2) }), cpu);
      expect(light.weightsByReference, f).toBe(3);
      for (const key of [`tapped ${f}`, `light ${f}`]) {
        const got = await host.run(key, x, taps);
        for (const t of taps) {
          expect(got[t].dims, `${key} ${t}`).toEqual(want[t].dims);
          const [a, b] = [got[t].data as Float32Array, want[t].data as Float32Array];
          let worst = 0;
          for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
          // The tapped copy cannot fuse Conv+ReLU, so it may round differently; a wrong offset gives O(1).
          expect(worst, `${key} ${t}`).toBeLessThan(1e-4);
        }
      }
      await host.release(`light ${f}`);
      await host.release(`tapped ${f}`);
    }
  });

  it('refuses a copy of a file that changed since it was opened, instead of reading other bytes', async () => {
    const f = path.join(dir, 'models', 'changing.onnx');
    writeFileSync(f, bigWeightsModel());
    const seen = source(f, { kind: 'tap-all' });
    await host.open('changing', seen, cpu);
    writeFileSync(f, Buffer.concat([Buffer.from(bigWeightsModel()), Buffer.alloc(1)]));
    await expect(host.open('changing light', { ...seen, rewrite: { kind: 'outputs', tensors: taps.slice(0, 1) } }, cpu)).rejects.toThrow(/changed on disk/);
    await host.release('changing');
  });
});
