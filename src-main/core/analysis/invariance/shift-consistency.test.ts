import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, preprocess } from '../../images/index.ts';
import { seededRandom } from '../../onnx/index.ts';
import { nodeRuntimeHost } from '../../runtime/launch-node.ts';
import { chooseProvider } from '../../runtime/provider.ts';
import { defaultPaths } from '../../model/resources.ts';
import { ModelSession } from '../../model/model-session.ts';
import { pairOffsets, shiftConsistency, shiftInput } from './index.ts';
import { circularModel, hostForward } from './testing.ts';

/** Naive shift with fill 0: out[y][x] = x[y − dy][x − dx]. */
function naiveShift(x: Float32Array, H: number, W: number, dy: number, dx: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let y = 0; y < H; y++)
    for (let xx = 0; xx < W; xx++) {
      const sy = y - dy;
      const sx = xx - dx;
      if (sy >= 0 && sy < H && sx >= 0 && sx < W) out[y * W + xx] = x[sy * W + sx];
    }
  return out;
}

describe('pairOffsets', () => {
  it('is repeatable for a seed, covers 0…s uniformly, and differs between seeds', () => {
    const a = pairOffsets(50, 4, 9, 7);
    expect(a).toEqual(pairOffsets(50, 4, 9, 7));
    expect(a).not.toEqual(pairOffsets(50, 4, 9, 8));
    expect(a).toHaveLength(50 * 4 * 4);
    const hist = new Array(10).fill(0);
    for (const v of a) hist[v]++;
    // 800 draws over 10 values: every value appears, none wildly over-represented.
    for (const h of hist) expect(h).toBeGreaterThan(40);
    for (const h of hist) expect(h).toBeLessThan(130);
  });
});

describe('shiftConsistency', () => {
  const host = nodeRuntimeHost();
  afterAll(() => host.close());

  it('is 1 for a model invariant to circular shifts, when the shifts are circular', async () => {
    const forward = await hostForward(host, 'circular', circularModel(), [1, 16, 16]);
    const rnd = seededRandom(4);
    // Content in the top-left 10×10: shifts of up to 6 px right/down stay inside (circular).
    const images = Array.from({ length: 6 }, () => {
      const x = new Float32Array(256);
      for (let y = 0; y < 10; y++) for (let xx = 0; xx < 10; xx++) x[y * 16 + xx] = rnd() * 2 - 1;
      return x;
    });
    const r = await shiftConsistency(images.length, async (i) => images[i], forward, {
      dims: [1, 16, 16], output: 'logits', maxShift: 6, pairsPerImage: 3, seed: 1, batchSize: 8,
    });
    expect(r).toEqual({ agree: 18, pairs: 18, images: 6 });
  });

  describe('on the demo model', () => {
    let model: ModelSession;
    let images: Float32Array[];
    beforeAll(async () => {
      model = await ModelSession.open(defaultPaths().model, host, chooseProvider('cpu'));
      const dir = defaultPaths().images;
      const files = ['trouser/00002.png', 'bag/00018.png', 'sneaker/00009.png', 'shirt/00004.png', 'dress/00013.png', 'coat/00006.png'];
      images = await Promise.all(files.map(async (f) => preprocess(await decodeImage(path.join(dir, f), { channels: 1 }), model.info.preprocessing)));
    });

    it('shiftInput is the naive integer shift', () => {
      expect(shiftInput(images[0], [1, 64, 64], 5, 3, new Float32Array(4096))).toEqual(naiveShift(images[0], 64, 64, 5, 3));
    });

    it('counts agreeing pairs exactly as a one-pair-at-a-time reference, skipping images that fail', async () => {
      const spec = { dims: [1, 64, 64] as [number, number, number], output: 'logits', maxShift: 9, pairsPerImage: 4, seed: 123, batchSize: 16 };
      const failed: number[] = [];
      const progress: number[] = [];
      const r = await shiftConsistency(images.length, async (i) => {
        if (i === 2) throw new Error('broken.png: not an image');
        return images[i];
      }, (b, n, f) => model.forward(b, n, f), { ...spec, onFailure: (i) => failed.push(i), onProgress: (d) => progress.push(d) });
      expect(failed).toEqual([2]);
      expect(progress.at(-1)).toBe(6);
      const offsets = pairOffsets(images.length, 4, 9, 123);
      let agree = 0;
      let pairs = 0;
      for (let i = 0; i < images.length; i++) {
        if (i === 2) continue;
        for (let p = 0; p < 4; p++) {
          const o = (i * 4 + p) * 4;
          const a = (await model.classify(naiveShift(images[i], 64, 64, offsets[o], offsets[o + 1]))).probabilities;
          const b = (await model.classify(naiveShift(images[i], 64, 64, offsets[o + 2], offsets[o + 3]))).probabilities;
          if (a.indexOf(Math.max(...a)) === b.indexOf(Math.max(...b))) agree++;
          pairs++;
        }
      }
      expect(r).toEqual({ agree, pairs, images: 5 });
      expect(pairs).toBe(20);
    });

    it('stops with CANCELLED when the signal is aborted', async () => {
      const c = new AbortController();
      c.abort();
      await expect(shiftConsistency(2, async (i) => images[i], (b, n, f) => model.forward(b, n, f), {
        dims: [1, 64, 64], output: 'logits', maxShift: 2, pairsPerImage: 1, seed: 1, signal: c.signal,
      })).rejects.toMatchObject({ code: 'CANCELLED' });
    });
  });
});
