import { describe, expect, it } from 'vitest';
import type { OutputTensor } from '../runtime/protocol.ts';
import { reduceMaps, scanMapMaxima } from './map-maxima.ts';

// A stand-in "model": the layer is the input itself (N×C×H×W), so the expected maxima are known.
const identityForward = async (batch: Float32Array, n: number, fetches: string[]): Promise<Record<string, OutputTensor>> =>
  Object.fromEntries(fetches.map((f) => [f, { type: 'float32' as const, dims: [n, 2, 2, 3], data: Float32Array.from(batch) }]));

function image(seed: number): Float32Array {
  const a = new Float32Array(12);
  for (let i = 0; i < 12; i++) a[i] = Math.sin(seed * 7.1 + i * 1.3) * 10;
  return a;
}

describe('reduceMaps', () => {
  it('finds each map maximum and its first position against a naive loop', () => {
    const data = Float32Array.from([1, 5, 5, 0, -1, -2, -3, -0.5, 9, 9, 2, 1]);
    const r = reduceMaps({ type: 'float32', dims: [2, 2, 1, 3], data }, 2);
    expect(Array.from(r.max)).toEqual([5, 0, 9, 9]);
    expect(Array.from(r.argmax)).toEqual([1, 0, 2, 0]);
    expect([r.channels, r.height, r.width]).toEqual([2, 1, 3]);
  });

  it('treats an fc layer as 1×1 maps', () => {
    const r = reduceMaps({ type: 'float32', dims: [1, 3], data: Float32Array.from([3, -1, 2]) }, 1);
    expect(Array.from(r.max)).toEqual([3, -1, 2]);
    expect(Array.from(r.argmax)).toEqual([0, 0, 0]);
  });
});

describe('scanMapMaxima', () => {
  it('streams every image once, in order, skipping (and reporting) those that fail to load', async () => {
    const images = [0, 1, 2, 3, 4, 5, 6];
    const failures: number[] = [];
    const progress: number[] = [];
    const seen: number[] = [];
    const maxima = new Map<number, number[]>();
    const load = async (i: number) => {
      if (i === 3) throw new Error('bad image');
      return image(i);
    };
    for await (const b of scanMapMaxima(images, load, identityForward, {
      layers: ['x'], inputSize: 12, batchSize: 3, onFailure: (f) => failures.push(f.index), onProgress: (d) => progress.push(d),
    })) {
      b.indices.forEach((idx, j) => {
        seen.push(idx);
        maxima.set(idx, Array.from(b.layers.x.max.subarray(j * 2, j * 2 + 2)));
      });
    }
    expect(seen).toEqual([0, 1, 2, 4, 5, 6]);
    expect(failures).toEqual([3]);
    expect(progress).toEqual([3, 6, 7]);
    for (const i of seen) {
      const x = image(i);
      expect(maxima.get(i)).toEqual([Math.max(...x.subarray(0, 6)), Math.max(...x.subarray(6, 12))].map((v) => Math.fround(v)));
    }
  });

  it('stops with CANCELLED when the signal is aborted', async () => {
    const c = new AbortController();
    const run = async () => {
      for await (const _ of scanMapMaxima([0, 1, 2, 3], async (i) => image(i), identityForward, { layers: ['x'], inputSize: 12, batchSize: 1, signal: c.signal })) {
        c.abort();
      }
    };
    await expect(run()).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});
