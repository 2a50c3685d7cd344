import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../onnx/index.ts';
import { fft1d, fft2d, frequencyOf } from './fft.ts';

function naiveDft2(re: Float64Array, im: Float64Array, n: number): { re: Float64Array; im: Float64Array } {
  const outRe = new Float64Array(n * n);
  const outIm = new Float64Array(n * n);
  for (let v = 0; v < n; v++)
    for (let u = 0; u < n; u++) {
      let sr = 0;
      let si = 0;
      for (let y = 0; y < n; y++)
        for (let x = 0; x < n; x++) {
          const th = (-2 * Math.PI * (u * x + v * y)) / n;
          const c = Math.cos(th);
          const s = Math.sin(th);
          sr += re[y * n + x] * c - im[y * n + x] * s;
          si += re[y * n + x] * s + im[y * n + x] * c;
        }
      outRe[v * n + u] = sr;
      outIm[v * n + u] = si;
    }
  return { re: outRe, im: outIm };
}

describe('fft', () => {
  for (const n of [1, 2, 4, 8, 16]) {
    it(`2-D FFT of ${n}×${n} complex data matches a naive DFT`, () => {
      const rnd = seededRandom(n);
      const re = Float64Array.from({ length: n * n }, () => rnd() - 0.5);
      const im = Float64Array.from({ length: n * n }, () => rnd() - 0.5);
      const e = naiveDft2(re, im, n);
      fft2d(re, im, n);
      for (let i = 0; i < n * n; i++) {
        expect(Math.abs(re[i] - e.re[i])).toBeLessThanOrEqual(1e-10 * n * n);
        expect(Math.abs(im[i] - e.im[i])).toBeLessThanOrEqual(1e-10 * n * n);
      }
    });
  }

  it('Parseval: Σ|x|² = Σ|X|² / n² at 64×64, and the cached plan gives the same result twice', () => {
    const n = 64;
    const rnd = seededRandom(11);
    const x = Float64Array.from({ length: n * n }, () => rnd() - 0.5);
    const energy = x.reduce((s, v) => s + v * v, 0);
    const results: number[] = [];
    for (let rep = 0; rep < 2; rep++) {
      const re = Float64Array.from(x);
      const im = new Float64Array(n * n);
      fft2d(re, im, n);
      let e = 0;
      for (let i = 0; i < n * n; i++) e += re[i] * re[i] + im[i] * im[i];
      results.push(e / (n * n));
    }
    expect(Math.abs(results[0] - energy) / energy).toBeLessThan(1e-12);
    expect(results[1]).toBe(results[0]);
  });

  it('a strided 1-D transform (a column) equals the transform of the gathered column', () => {
    const n = 8;
    const rnd = seededRandom(5);
    const re = Float64Array.from({ length: n * n }, () => rnd());
    const im = new Float64Array(n * n);
    const colRe = Float64Array.from({ length: n }, (_, y) => re[y * n + 3]);
    const colIm = new Float64Array(n);
    fft1d(re, im, n, 3, n);
    fft1d(colRe, colIm, n);
    for (let y = 0; y < n; y++) expect(re[y * n + 3]).toBeCloseTo(colRe[y], 12);
  });

  it('skipping the all-zero rows of a zero-padded kernel changes nothing', () => {
    const n = 16;
    const rnd = seededRandom(7);
    const re = new Float64Array(n * n);
    for (let y = 0; y < 5; y++) for (let x = 0; x < 7; x++) re[y * n + x] = rnd() - 0.5;
    const [a, b] = [Float64Array.from(re), Float64Array.from(re)];
    const [ai, bi] = [new Float64Array(n * n), new Float64Array(n * n)];
    fft2d(a, ai, n);
    fft2d(b, bi, n, 5);
    expect([...b]).toEqual([...a]);
    expect([...bi]).toEqual([...ai]);
  });

  it('refuses sizes that are not powers of two; frequencies lie on [−½, ½)', () => {
    expect(() => fft1d(new Float64Array(6), new Float64Array(6), 6)).toThrow(/power of two/);
    expect(frequencyOf(0, 8)).toBe(0);
    expect(frequencyOf(3, 8)).toBe(3 / 8);
    expect(frequencyOf(4, 8)).toBe(-0.5);
    expect(frequencyOf(7, 8)).toBe(-1 / 8);
  });
});
