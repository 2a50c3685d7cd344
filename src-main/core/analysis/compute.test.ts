// The analyses' kernels in the compute pool give what a direct call gives, bit for bit, and the
// pipelined scan keeps the runtime busy while batches are reduced.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../onnx/index.ts';
import type { OutputTensor } from '../runtime/protocol.ts';
import { analysisPool } from './compute.ts';
import { reduceMaps, scanMapMaxima } from './map-maxima.ts';
import { computeSpectra, type ConvFilters } from './spectra/index.ts';

function noise(n: number, seed: number): Float32Array {
  const rnd = seededRandom(seed);
  return Float32Array.from({ length: n }, () => rnd() * 2 - 1);
}

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

const alexConv1 = (): ConvFilters => ({ weights: noise(96 * 3 * 11 * 11, 1), dims: [96, 3, 11, 11], stride: [4, 4] });

describe('analysis compute pool', () => {
  it('reduces maps as reduceMaps does here (conv and fc layers)', async () => {
    const conv: OutputTensor = { type: 'float32', dims: [5, 7, 9, 11], data: noise(5 * 7 * 9 * 11, 2) };
    const fc: OutputTensor = { type: 'float32', dims: [5, 13], data: noise(5 * 13, 3) };
    const want = { conv: reduceMaps(conv, 5, 'conv'), fc: reduceMaps(fc, 5, 'fc') };
    const got = await analysisPool().run('reduceMaps', { tensors: { conv, fc }, n: 5 });
    for (const k of ['conv', 'fc'] as const) {
      expect([got[k].channels, got[k].height, got[k].width]).toEqual([want[k].channels, want[k].height, want[k].width]);
      expect(bytes(got[k].max).equals(bytes(want[k].max))).toBe(true);
      expect(bytes(got[k].argmax).equals(bytes(want[k].argmax))).toBe(true);
    }
  });

  it('computes the spectra of a 96×3×11×11 layer exactly as computeSpectra does here', async () => {
    const conv = alexConv1();
    const firing = { images: 40, fires: Int32Array.from({ length: 96 }, (_, k) => (k % 7 === 0 ? 0 : k % 40)) };
    for (const f of [undefined, firing]) {
      const want = computeSpectra(conv, f);
      const got = await analysisPool().run('spectra', { conv, firing: f });
      for (const k of ['spectra', 'profiles', 'meanProfile'] as const) expect(bytes(got[k]).equals(bytes(want[k]))).toBe(true);
      expect(got).toEqual(want);
    }
    expect(conv.weights.length).toBe(96 * 3 * 11 * 11); // copied to the worker, not taken away
  });

  it('brings a kernel error back with the message of a direct call', async () => {
    const bad: ConvFilters = { weights: new Float32Array(10), dims: [2, 1, 3, 3], stride: [1, 1] };
    const direct = (() => {
      try {
        computeSpectra(bad);
      } catch (e) {
        return (e as Error).message;
      }
    })();
    await expect(analysisPool().run('spectra', { conv: bad })).rejects.toThrow(direct!);
    const t: OutputTensor = { type: 'float32', dims: [2], data: new Float32Array(2) };
    await expect(analysisPool().run('reduceMaps', { tensors: { l: t }, n: 1 })).rejects.toMatchObject({ code: 'MODEL_UNSUPPORTED', details: { layer: 'l' } });
  });

  it('runs off the main thread: timers keep firing while a large layer\'s spectra are computed', async () => {
    const conv: ConvFilters = { weights: noise(384 * 3 * 11 * 11, 4), dims: [384, 3, 11, 11], stride: [4, 4] };
    await analysisPool().run('spectra', { conv: alexConv1() }); // the worker is up and warm
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const t0 = performance.now();
    await analysisPool().run('spectra', { conv });
    const elapsed = performance.now() - t0;
    clearInterval(timer);
    // On this thread no timer could fire until the kernel returned.
    if (elapsed > 50) expect(ticks).toBeGreaterThan(1);
  });
});

describe('scanMapMaxima pipeline', () => {
  it('starts the next forward pass before handing out a batch, one forward pass at a time', async () => {
    let calls = 0;
    let running = 0;
    let most = 0;
    const forward = async (batch: Float32Array, n: number, fetches: string[]): Promise<Record<string, OutputTensor>> => {
      calls++;
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 10));
      running--;
      return Object.fromEntries(fetches.map((f) => [f, { type: 'float32' as const, dims: [n, 2, 2, 3], data: Float32Array.from(batch) }]));
    };
    const images = Array.from({ length: 10 }, (_, i) => i);
    const seen: number[] = [];
    let batches = 0;
    for await (const b of scanMapMaxima(images, async (i) => noise(12, i), forward, { layers: ['x'], inputSize: 12, batchSize: 2 })) {
      // Batch k is out only after its reduction; by then batch k+1 is in the runtime.
      batches++;
      expect(calls).toBe(Math.min(5, batches + 1));
      seen.push(...b.indices);
      for (const [j, i] of b.indices.entries()) {
        const want = reduceMaps({ type: 'float32', dims: [1, 2, 2, 3], data: noise(12, i) }, 1);
        expect(Array.from(b.layers.x.max.subarray(j * 2, j * 2 + 2))).toEqual(Array.from(want.max));
        expect(Array.from(b.layers.x.argmax.subarray(j * 2, j * 2 + 2))).toEqual(Array.from(want.argmax));
      }
    }
    expect(seen).toEqual(images);
    expect(most).toBe(1);
  });
});
