import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { boxFactor, boxReduce, planAxis, resampleRegion, resizeBilinear, resizeImage } from './resize.ts';

interface Case { name: string; h: number; w: number; c: number; outH: number; outW: number; input: number[]; output: number[] }
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/resize-fixtures.json', import.meta.url), 'utf8')) as {
  bilinear: Case[];
  area: Case[];
};

/** Largest violation of |a − e| ≤ atol + rtol·|e|; ≤ 0 means every value is within tolerance. */
function worst(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol = 0): number {
  expect(actual.length).toBe(expected.length);
  let w = -Infinity;
  for (let i = 0; i < expected.length; i++) w = Math.max(w, Math.abs(actual[i] - expected[i]) - (atol + rtol * Math.abs(expected[i])));
  return w;
}

describe('resizeBilinear against PyTorch F.interpolate(bilinear, align_corners=False, antialias=False)', () => {
  for (const f of fixtures.bilinear) {
    it(f.name, () => {
      const out = resizeBilinear(Float32Array.from(f.input), f.h, f.w, f.c, f.outH, f.outW);
      expect(worst(out, f.output, 1e-4)).toBeLessThanOrEqual(0);
    });
  }

  it('accepts 8-bit input and computes in float (no rounding to 8 bits)', () => {
    const f = fixtures.bilinear.find((c) => c.name.startsWith('28x28'))!;
    const out = resizeBilinear(Uint8Array.from(f.input), f.h, f.w, f.c, f.outH, f.outW);
    expect(worst(out, f.output, 1e-4)).toBeLessThanOrEqual(0);
    expect(out.some((v) => !Number.isInteger(v))).toBe(true);
  });
});

describe('resizeImage', () => {
  for (const f of fixtures.area) {
    it(`integer shrink by more than 2× is the block mean (PyTorch mode='area'): ${f.name}`, () => {
      const out = resizeImage(Float32Array.from(f.input), f.h, f.w, f.c, f.outH, f.outW);
      expect(worst(out, f.output, 1e-5)).toBeLessThanOrEqual(0);
    });
  }

  it('equals plain bilinear when upscaling or shrinking by at most 2×', () => {
    for (const f of fixtures.bilinear) {
      const out = resizeImage(Float32Array.from(f.input), f.h, f.w, f.c, f.outH, f.outW);
      expect(worst(out, f.output, 1e-4)).toBeLessThanOrEqual(0);
    }
  });

  it('does not alias a one-pixel checkerboard when shrinking a lot (plain bilinear would)', () => {
    const h = 300;
    const w = 300;
    const src = new Uint8Array(h * w);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) src[y * w + x] = (x + y) % 2 ? 255 : 0;
    const smooth = resizeImage(src, h, w, 1, 13, 17);
    for (const v of smooth) expect(Math.abs(v - 127.5)).toBeLessThan(12);
    const aliased = resizeBilinear(src, h, w, 1, 13, 17);
    expect(Math.max(...aliased.map((v) => Math.abs(v - 127.5)))).toBeGreaterThan(60);
  });
});

describe('analytic cases', () => {
  it('a constant image stays constant, any size and channel count', () => {
    for (const [h, w, oh, ow] of [[7, 5, 16, 11], [64, 48, 5, 3], [3, 3, 3, 3], [1, 1, 4, 9], [10, 100, 10, 7]]) {
      const src = new Float32Array(h * w * 3);
      for (let i = 0; i < src.length; i += 3) src.set([17, 101.5, 250], i);
      for (const out of [resizeBilinear(src, h, w, 3, oh, ow), resizeImage(src, h, w, 3, oh, ow)]) {
        for (let i = 0; i < out.length; i += 3) {
          expect(out[i]).toBeCloseTo(17, 4);
          expect(out[i + 1]).toBeCloseTo(101.5, 4);
          expect(out[i + 2]).toBeCloseTo(250, 4);
        }
      }
    }
  });

  it('a linear ramp stays linear in the interior, at the half-pixel source coordinates', () => {
    // v(x) = 3x + 5 along x; output column d samples x = (d + 0.5)·w/outW − 0.5.
    const h = 4;
    const w = 10;
    const outW = 23;
    const src = new Float32Array(h * w);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) src[y * w + x] = 3 * x + 5;
    const out = resizeBilinear(src, h, w, 1, 9, outW);
    for (let y = 0; y < 9; y++) {
      for (let d = 0; d < outW; d++) {
        const sx = ((d + 0.5) * w) / outW - 0.5;
        if (sx < 0 || sx > w - 1) continue; // edges clamp, by design
        expect(out[y * outW + d]).toBeCloseTo(3 * sx + 5, 4);
      }
    }
    // The clamped edges hold the edge value.
    expect(out[0]).toBeCloseTo(5, 5);
    expect(out[outW - 1]).toBeCloseTo(3 * (w - 1) + 5, 5);
  });

  it('same size is the identity', () => {
    const src = Float32Array.from({ length: 5 * 4 * 3 }, (_, i) => (i * 37) % 11);
    expect(Array.from(resizeBilinear(src, 5, 4, 3, 5, 4))).toEqual(Array.from(src));
    expect(Array.from(resizeImage(src, 5, 4, 3, 5, 4))).toEqual(Array.from(src));
  });

  it('a 2× upscale interpolates at quarter positions, as PyTorch does', () => {
    const out = resizeBilinear(Float32Array.from([0, 4]), 1, 2, 1, 1, 4);
    expect(Array.from(out)).toEqual([0, 1, 3, 4]);
  });
});

describe('box pre-filter', () => {
  it('factor is 1 up to 2× and ⌊ratio⌋ beyond', () => {
    expect([1, 1.5, 2, 2.01, 3.99, 4, 10.5].map(boxFactor)).toEqual([1, 1, 1, 2, 3, 4, 10]);
  });

  it('boxReduce averages blocks and drops the leftover rows/columns', () => {
    // 5×5 with factor 2 → 2×2 blocks of the top-left 4×4.
    const src = Float32Array.from({ length: 25 }, (_, i) => i);
    const { data, height, width } = boxReduce(src, 5, 5, 1, 2, 2);
    expect([height, width]).toEqual([2, 2]);
    expect(Array.from(data)).toEqual([(0 + 1 + 5 + 6) / 4, (2 + 3 + 7 + 8) / 4, (10 + 11 + 15 + 16) / 4, (12 + 13 + 17 + 18) / 4]);
  });

  it('keeps geometry exact when the size is not a multiple of the factor (ramp stays on its line)', () => {
    // 1×103 ramp shrunk to 1×20: factor 5 (103/20 = 5.15); each output is the mean of the source
    // pixels under it, ≈ the ramp at the output pixel's centre.
    const w = 103;
    const outW = 20;
    const src = Float32Array.from({ length: w }, (_, x) => x);
    const out = resizeImage(src, 1, w, 1, 1, outW);
    for (let d = 1; d < outW - 1; d++) expect(Math.abs(out[d] - ((d + 0.5) * w) / outW + 0.5)).toBeLessThan(1e-4);
  });
});

describe('resampleRegion', () => {
  it('equals resizing fully and cropping', () => {
    const h = 9;
    const w = 31;
    const src = Float32Array.from({ length: h * w * 3 }, (_, i) => Math.sin(i * 0.37) * 100);
    const full = resizeImage(src, h, w, 3, 16, 55);
    const region = resampleRegion(src, h, w, 3, { scaledH: 16, scaledW: 55, top: 0, left: 19, outH: 16, outW: 16 });
    const cropped = new Float32Array(16 * 16 * 3);
    for (let y = 0; y < 16; y++) cropped.set(full.subarray((y * 55 + 19) * 3, (y * 55 + 35) * 3), y * 16 * 3);
    expect(worst(region, cropped, 1e-5)).toBeLessThanOrEqual(0);
  });

  it('rejects a region outside the scaled image and mismatched data', () => {
    const src = new Float32Array(4 * 4);
    expect(() => resampleRegion(src, 4, 4, 1, { scaledH: 8, scaledW: 8, top: 1, left: 0, outH: 8, outW: 8 })).toThrow(/does not fit/);
    expect(() => resizeBilinear(src, 4, 5, 1, 2, 2)).toThrow(/expected 4×5×1/);
    expect(() => resizeBilinear(src, 4, 4, 1, 0, 2)).toThrow(/outH must be a positive integer/);
  });

  it('planAxis clamps source coordinates to the image', () => {
    const p = planAxis(3, 6, 0.5);
    expect(Array.from(p.i0)).toEqual([0, 0, 0, 1, 1, 2]);
    expect(Array.from(p.i1)).toEqual([1, 1, 1, 2, 2, 2]);
    expect(p.w1[0]).toBe(0); // source −0.25 clamps to 0
  });
});
