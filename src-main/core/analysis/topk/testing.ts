// Test helpers: small image folders of deterministic noise and a brute-force top-k over them.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { expect } from 'vitest';
import type { TopkLayerResult } from '../../../common/api-topk.ts';
import { compareNatural } from '../../images/folder.ts';
import { decodeImage, preprocess } from '../../images/index.ts';
import type { Preprocessing } from '../../../common/types.ts';
import { parseModel, serializeModel, tapModel } from '../../onnx/index.ts';

/** One image through a model, batch 1: the tensor `fetch` of it (tests pass an onnxruntime session here). */
export type RunOne = (model: Uint8Array, input: Float32Array, dims: number[], fetch: string) => Promise<{ dims: readonly number[]; data: Float32Array }>;

/** The brute force's model runner: a plain onnxruntime session per model (not the app's worker), batch 1. */
export function ortRunOne(): RunOne {
  const sessions = new Map<Uint8Array, Promise<ort.InferenceSession>>();
  return async (bytes, input, dims, fetch) => {
    if (!sessions.has(bytes)) sessions.set(bytes, ort.InferenceSession.create(bytes));
    const s = await sessions.get(bytes)!;
    const t = (await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', input, dims) }, [fetch]))[fetch];
    return { dims: t.dims, data: t.data as Float32Array };
  };
}

/** A PNG of seeded noise; `stored`: uncompressed, so every seed gives a file of the same size. */
export async function noisePng(file: string, seed: number, size = 40, channels: 1 | 3 = 1, stored = false): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  const data = Buffer.alloc(size * size * channels);
  let s = seed * 7919 + 13;
  for (let i = 0; i < data.length; i++) data[i] = (s = (s * 1103515245 + 12345) & 0x7fffffff) >> 23;
  await sharp(data, { raw: { width: size, height: size, channels } }).png(stored ? { compressionLevel: 0, adaptiveFiltering: false } : {}).toFile(file);
}

export interface BruteMap {
  firingRate: number;
  meanMax: number;
  entries: { image: string; position: [number, number]; value: number }[];
}

/**
 * The reference: every image on its own through `runOne` (the tapped model, batch 1), every map's
 * maximum by a plain loop, all images sorted by (value desc, path) and the first k taken.
 */
export async function bruteForceTopk(runOne: RunOne, modelBytes: Uint8Array, root: string, paths: string[], tensor: string, p: Preprocessing, channels: 1 | 3, k: number): Promise<BruteMap[]> {
  const tapped = serializeModel(tapModel(parseModel(modelBytes, 'm'), 'all').model);
  const perImage: { image: string; max: number[]; pos: [number, number][] }[] = [];
  for (const rel of paths) {
    const x = preprocess(await decodeImage(path.join(root, rel), { channels }), p);
    const [H, W] = p.inputSize;
    const t = await runOne(tapped, x, [1, channels, H, W], tensor);
    const [C, h, w] = t.dims.length === 4 ? [t.dims[1], t.dims[2], t.dims[3]] : [t.dims[1], 1, 1];
    const data = t.data;
    const max: number[] = [];
    const pos: [number, number][] = [];
    for (let c = 0; c < C; c++) {
      let best = -Infinity;
      let at: [number, number] = [0, 0];
      for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) {
        const v = data[c * h * w + y * w + xx];
        if (v > best) [best, at] = [v, [y, xx]];
      }
      max.push(best);
      pos.push(at);
    }
    perImage.push({ image: rel, max, pos });
  }
  const C = perImage[0].max.length;
  return Array.from({ length: C }, (_, c) => {
    const sorted = [...perImage].sort((a, b) => b.max[c] - a.max[c] || compareNatural(a.image, b.image));
    return {
      firingRate: perImage.filter((i) => i.max[c] > 0).length / perImage.length,
      meanMax: perImage.reduce((a, i) => a + i.max[c], 0) / perImage.length,
      entries: sorted.slice(0, k).map((i) => ({ image: i.image, position: i.pos[c], value: i.max[c] })),
    };
  });
}

/** Two scan results of a layer equal up to float summation order in the means. */
export function expectSameLayer(a: TopkLayerResult, b: TopkLayerResult): void {
  expect(a.images).toBe(b.images);
  expect(a.maps).toHaveLength(b.maps.length);
  a.maps.forEach((m, c) => {
    expect(m.entries).toEqual(b.maps[c].entries);
    expect(m.firingRate).toBe(b.maps[c].firingRate);
    expect(m.meanMax).toBeCloseTo(b.maps[c].meanMax, 10);
  });
}
