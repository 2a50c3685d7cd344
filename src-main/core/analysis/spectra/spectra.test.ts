// DESIGN §3 "Filter spectra" on analytic filters, and every number against the naive twin (direct
// DFT, definitions written out with floats) to 1e-6 relative.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../onnx/index.ts';
import { computeSpectra, median, profileBins, spectrumSize } from './spectra.ts';
import { close, filters, naiveSpectra } from './testing.ts';

function expectMatchesNaive(w: Float32Array, dims: [number, number, number, number], stride: [number, number], dilation: [number, number] = [1, 1]) {
  const s = computeSpectra({ weights: w, dims, stride, dilation });
  const e = naiveSpectra(w, dims, stride, dilation);
  expect(s.N).toBe(e.N);
  s.filters.forEach((f, k) => {
    const ok = (a: number, b: number, what: string) => expect(close(a, b), `filter ${k} ${what}: ${a} vs ${b}`).toBe(true);
    ok(f.rms, e.rms[k], 'rms');
    ok(f.centroid, e.centroid[k], 'centroid');
    ok(f.bands.low, e.bands[k].low, 'low');
    ok(f.bands.mid, e.bands[k].mid, 'mid');
    ok(f.bands.high, e.bands[k].high, 'high');
    ok(f.aliasingFraction, e.aliasing[k], 'aliasing');
    const peak = Math.max(...e.power[k]);
    for (let i = 0; i < e.N * e.N; i++) {
      expect(Math.abs(s.spectra[k * e.N * e.N + i] - e.power[k][i])).toBeLessThanOrEqual(1e-6 * peak + 1e-9);
    }
  });
  return s;
}

describe('filter spectra (DESIGN §3)', () => {
  it('N is the smallest power of two ≥ max(32, 4·kernel size)', () => {
    expect([1, 3, 7, 8, 9, 11, 16, 17, 33].map(spectrumSize)).toEqual([32, 32, 32, 32, 64, 64, 64, 128, 256]);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('a pure cosine at (fx, fy) has its power peaks at ±(fx, fy), symmetric, and its centroid tends to √(fx²+fy²) as O(1/kernel)', () => {
    const [fx, fy] = [3 / 16, 1 / 16];
    const r0 = Math.hypot(fx, fy);
    const errors: number[] = [];
    for (const k of [16, 32]) {
      const s = computeSpectra({ weights: Float32Array.from(filters.cosine(k, fx, fy)), dims: [1, 1, k, k], stride: [1, 1] });
      const N = s.N;
      const P = s.spectra;
      const at = (f: number, g: number) => P[(g * N + N / 2) * N + (f * N + N / 2)];
      const max = Math.max(...P);
      expect(at(fx, fy)).toBe(max);
      expect(close(at(-fx, -fy), max, 1e-6)).toBe(true);
      // A real filter: P(f) = P(−f) everywhere.
      for (let i = 1; i < N; i++) for (let j = 1; j < N; j++) expect(close(P[i * N + j], P[(N - i) * N + (N - j)], 1e-6, 1e-9 * max)).toBe(true);
      errors.push(Math.abs(s.filters[0].centroid - r0) / r0);
    }
    expect(errors[1]).toBeLessThan(0.03);
    expect(errors[1] / errors[0]).toBeGreaterThan(0.4);
    expect(errors[1] / errors[0]).toBeLessThan(0.6);
  });

  it('a checkerboard at stride 4 aliases (fraction ≈ 1), a smooth Gaussian does not; at stride 1 nothing aliases', () => {
    const w = Float32Array.from([...filters.checkerboard(7), ...filters.gaussian(7, 1.5)]);
    const s = expectMatchesNaive(w, [2, 1, 7, 7], [4, 4]);
    expect(s.filters[0].aliasingFraction).toBeGreaterThan(0.99);
    expect(s.filters[0].flags).toContain('aliasing');
    expect(s.filters[0].bands.high).toBeGreaterThan(0.99);
    expect(s.filters[1].aliasingFraction).toBeLessThan(0.2);
    expect(s.filters[1].flags).not.toContain('aliasing');
    expect(s.filters[1].bands.low).toBeGreaterThan(0.6);
    const s1 = computeSpectra({ weights: w, dims: [2, 1, 7, 7], stride: [1, 1] });
    expect(s1.filters.map((f) => f.aliasingFraction)).toEqual([0, 0]);
  });

  it('a zero filter is dead and a ×10 filter among unit filters is dominant; the summary counts them', () => {
    const rnd = seededRandom(4);
    const k = 5;
    const ws = [new Array(k * k).fill(0), filters.random(k, rnd).map((v) => v * 10)];
    for (let i = 0; i < 6; i++) ws.push(filters.random(k, rnd));
    const s = expectMatchesNaive(Float32Array.from(ws.flat()), [8, 1, k, k], [1, 1]);
    expect(s.filters[0].flags).toEqual(['dead']);
    expect(s.filters[0].reasons.dead).toMatch(/weights rms < 1% of median/);
    expect(s.filters[0].centroid).toBe(0);
    expect(s.filters[1].flags).toEqual(['dominant']);
    expect(s.filters.slice(2).every((f) => f.flags.length === 0)).toBe(true);
    expect(s.summary).toMatchObject({ filters: 8, dead: 1, dominant: 1, aliasing: 0, meanAliasingFraction: 0 });
    expect(close(s.summary.medianRms, 1, 1e-6)).toBe(true);
    // Mid coverage over the 7 live filters, from their centroids.
    const live = s.filters.slice(1);
    expect(s.summary.midCoverage).toBeCloseTo(live.filter((f) => f.centroid >= 0.125 && f.centroid < 0.25).length / 7, 12);
    expect(s.centroidHistogram.counts.reduce((a, b) => a + b, 0)).toBe(7);
  });

  it('non-square kernels and strides, 3 channels, dilation: every number matches the naive DFT', () => {
    const rnd = seededRandom(9);
    const w = Float32Array.from({ length: 4 * 3 * 3 * 5 }, () => rnd() - 0.5);
    const s = expectMatchesNaive(w, [4, 3, 3, 5], [2, 3]);
    expect(s.kernel).toEqual([3, 5]);
    expectMatchesNaive(w.subarray(0, 2 * 3 * 3 * 5), [2, 3, 3, 5], [1, 2], [2, 3]);
    // Dilation: the spectrum of the zero-stuffed kernel.
    const d = computeSpectra({ weights: w.subarray(0, 15), dims: [1, 1, 3, 5], stride: [1, 1], dilation: [2, 2] });
    const stuffed = new Float32Array(5 * 9);
    for (let y = 0; y < 3; y++) for (let x = 0; x < 5; x++) stuffed[2 * y * 9 + 2 * x] = w[y * 5 + x];
    const e = computeSpectra({ weights: stuffed, dims: [1, 1, 5, 9], stride: [1, 1] });
    expect(d.kernel).toEqual([5, 9]);
    expect(d.filters[0].centroid).toBeCloseTo(e.filters[0].centroid, 12);
  });

  it('many channels (summed by autocorrelation) and a kernel too big for that (one transform per channel) both match the naive DFT', () => {
    const rnd = seededRandom(21);
    const deep = Float32Array.from({ length: 3 * 40 * 3 * 3 }, () => rnd() - 0.5);
    // A zero tap and a zero channel: the autocorrelation skips them.
    deep.fill(0, 9, 18);
    deep[40] = 0;
    expectMatchesNaive(deep, [3, 40, 3, 3], [1, 1]);
    expectMatchesNaive(deep.subarray(0, 2 * 40 * 3 * 3), [2, 40, 3, 3], [2, 2], [2, 1]);
    const big = Float32Array.from({ length: 25 * 25 }, () => rnd() - 0.5);
    expectMatchesNaive(big, [1, 1, 25, 25], [4, 4]);
    // A constant 2×2 filter has exact zeros of power (fx or fy = ½): none comes out negative.
    const flat = computeSpectra({ weights: new Float32Array(2 * 4).fill(0.3), dims: [1, 2, 2, 2], stride: [1, 1] });
    expect(Math.min(...flat.spectra)).toBe(0);
  });

  it('bands sum to 1, profiles sum to their bands, and aliasing grows with the stride', () => {
    const rnd = seededRandom(2);
    const w = Float32Array.from({ length: 6 * 2 * 7 * 7 }, () => rnd() - 0.5);
    const by = [1, 2, 4, 8].map((st) => computeSpectra({ weights: w, dims: [6, 2, 7, 7], stride: [st, st] }));
    const s = by[0];
    const B = profileBins(s.N);
    expect(s.meanProfile.length).toBe(B);
    for (const f of s.filters) {
      expect(f.bands.low + f.bands.mid + f.bands.high).toBeCloseTo(1, 12);
      const prof = s.profiles.subarray(f.index * B, (f.index + 1) * B);
      const sum = (a: number, b: number) => prof.subarray(a, b).reduce((x, y) => x + y, 0);
      expect(sum(0, s.N / 8)).toBeCloseTo(f.bands.low, 5);
      expect(sum(s.N / 8, s.N / 4)).toBeCloseTo(f.bands.mid, 5);
      expect(sum(s.N / 4, B)).toBeCloseTo(f.bands.high, 5);
      const alias = by.map((x) => x.filters[f.index].aliasingFraction);
      expect(alias[0]).toBe(0);
      for (let i = 1; i < alias.length; i++) expect(alias[i]).toBeGreaterThanOrEqual(alias[i - 1]);
    }
  });

  it('firing evidence: a filter that never fires is dead whatever its weights, with the reason in words', () => {
    const rnd = seededRandom(3);
    const w = Float32Array.from([...filters.random(3, rnd), ...filters.random(3, rnd), ...filters.random(3, rnd)]);
    const s = computeSpectra({ weights: w, dims: [3, 1, 3, 3], stride: [1, 1] }, { images: 12, fires: Int32Array.from([12, 0, 3]) });
    expect(s.filters.map((f) => f.firingRate)).toEqual([1, 0, 0.25]);
    expect(s.filters[1].flags).toEqual(['dead']);
    expect(s.filters[1].reasons.dead).toBe('never fires on 12 images');
    expect(s.summary.dead).toBe(1);
    expect(s.centroidHistogram.counts.reduce((a, b) => a + b, 0)).toBe(2);
  });
});
