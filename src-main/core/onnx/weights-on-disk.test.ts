import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeGraph } from './graph.ts';
import { loadModelFile } from './model.ts';
import { tensorToFloat32 as float32Data } from './tensor.ts';
import { zfTestModel } from './test-models.ts';
import { detachFromFile, WeightsOnDisk } from './weights-on-disk.ts';

let dir: string;
let file: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'convscope-weights-'));
  file = path.join(dir, 'zf.onnx');
  writeFileSync(file, zfTestModel({ inputSize: 224, channels: 3, classes: 5, seed: 3 }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('detachFromFile', () => {
  it('keeps nothing of the file buffer; every constant reads back as parsed', async () => {
    const { model, bytes } = await loadModelFile(file);
    const st = statSync(file);
    const graph = analyzeGraph(model, file);
    const detached = detachFromFile(graph, { file, bytes, mtimeMs: st.mtimeMs, size: st.size });
    const weights = detached.initializers as WeightsOnDisk;
    expect(weights).toBeInstanceOf(WeightsOnDisk);
    expect([...weights.keys()].sort()).toEqual([...graph.initializers.keys()].sort());
    let onDisk = 0;
    let small = 0;
    for (const [name, t] of graph.initializers) {
      const back = weights.get(name)!;
      expect(back.rawData.buffer, name).not.toBe(bytes.buffer);
      expect(back.dims).toEqual(t.dims);
      expect(Array.from(float32Data(back))).toEqual(Array.from(float32Data(t)));
      if (t.rawData.byteLength >= 64 * 1024) onDisk++;
      else small += t.rawData.byteLength;
    }
    expect(onDisk, 'the test model has large weights').toBeGreaterThan(0);
    // What stays in memory is the small constants' copies.
    expect(weights.inMemoryBytes).toBe(small);
    for (const n of detached.nodes) {
      for (const v of Object.values(n.attrs)) {
        if (v && typeof v === 'object' && !Array.isArray(v) && '$typeName' in v && v.$typeName === 'onnx.TensorProto') {
          expect(v.rawData.buffer).not.toBe(bytes.buffer);
        }
      }
    }
  });

  it('refuses to read back from a file that changed since it was read', async () => {
    const copy = path.join(dir, 'changing.onnx');
    writeFileSync(copy, readFileSync(file));
    const { model, bytes } = await loadModelFile(copy);
    const st = statSync(copy);
    const detached = detachFromFile(analyzeGraph(model, copy), { file: copy, bytes, mtimeMs: st.mtimeMs, size: st.size });
    const big = [...detached.initializers.keys()].find((k) => (model.graph!.initializer.find((t) => t.name === k)?.rawData.byteLength ?? 0) >= 64 * 1024)!;
    expect(detached.initializers.get(big)!.rawData.byteLength).toBeGreaterThan(0);
    utimesSync(copy, new Date(), new Date(Date.now() + 5000));
    expect(() => detached.initializers.get(big)).toThrow(/changing\.onnx changed on disk since it was opened; open it again/);
  });
});
