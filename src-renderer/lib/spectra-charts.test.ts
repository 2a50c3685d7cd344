import { describe, expect, it } from 'vitest';
import type { FilterSpectraResult } from '../../src-main/common/api-spectra.ts';
import { centroidChart, histogramTickLabels, midBandTitle, profileChart, profileRadii, spectraCaption, spectraLines } from './spectra-charts.ts';

function result(stride: [number, number], name = 'a.onnx'): FilterSpectraResult {
  const B = 3;
  return {
    model: { name, path: `/${name}` }, stride, filters: [{}, {}] as never, profileBin: 1 / 4,
    profiles: Float32Array.from([0.5, 0.5, 0, 0, 0, 1]), meanProfile: Float32Array.from([0.25, 0.25, 0.5]).subarray(0, B),
    centroidHistogram: { edges: [0, 1 / 32, 2 / 32, 3 / 32, 4 / 32, 5 / 32], counts: [0, 1, 0, 0, 1] },
  } as unknown as FilterSpectraResult;
}

const linesOf = (cfg: ReturnType<typeof profileChart>) => (cfg.options!.plugins as unknown as { verticalLines: { lines: { x: number; label: string }[] } }).verticalLines.lines;

describe('spectra charts', () => {
  it('marks the band edges and 1/(2s); a Nyquist frequency on a band edge shares its line', () => {
    expect(spectraLines([1, 1]).map((l) => [l.x, l.label])).toEqual([[1 / 8, 'low|mid'], [1 / 4, 'mid|high']]);
    expect(spectraLines([4, 4]).map((l) => [l.x, l.label])).toEqual([[1 / 8, 'low|mid · Nyquist 1/8'], [1 / 4, 'mid|high']]);
    expect(spectraLines([3, 2]).map((l) => l.x)).toEqual([1 / 8, 1 / 4, 1 / 6]);
  });

  it('profile: the selected filter and the layer mean at bin centres; compare adds the other mean and its Nyquist', () => {
    const a = result([2, 2]);
    expect(profileRadii(a)).toEqual([1 / 8, 3 / 8, 5 / 8]);
    const cfg = profileChart(a, 1, result([4, 4], 'b.onnx'));
    const ds = cfg.data.datasets as { label: string; data: { x: number; y: number }[] }[];
    expect(ds.map((d) => d.label)).toEqual(['filter 1', 'a layer mean', 'b layer mean']);
    expect(ds[0].data.map((p) => p.y)).toEqual([0, 0, 1]);
    expect(linesOf(cfg).map((l) => l.label)).toEqual(['low|mid · Nyquist 1/8', 'mid|high · Nyquist 1/4']);
  });

  it('centroid histogram: one bar per bin, the mid band coloured apart', () => {
    const cfg = centroidChart(result([1, 1]));
    const ds = cfg.data.datasets[0] as { data: number[]; backgroundColor: string[] };
    expect(ds.data).toEqual([0, 1, 0, 0, 1]);
    expect(new Set(ds.backgroundColor.slice(0, 4)).size).toBe(1);
    expect(ds.backgroundColor[4]).not.toBe(ds.backgroundColor[0]);
  });

  it('compare: both models mark the mid band', () => {
    const cfg = centroidChart(result([1, 1]), result([2, 2], 'b.onnx'));
    const [a, b] = cfg.data.datasets as unknown as { borderColor: string[] }[];
    for (const ds of [a, b]) {
      expect(ds.borderColor[4]).not.toBe(ds.borderColor[0]);
      expect(ds.borderColor[4]).toBe(a.borderColor[4]);
    }
  });

  it('histogram ticks sit on round values, not bin edges', () => {
    const edges = Array.from({ length: 23 }, (_, i) => 0.016 + i * (0.7 - 0.016) / 22);
    const labels = histogramTickLabels(edges);
    expect(labels).toHaveLength(22);
    const shown = labels.filter(Boolean);
    expect(shown.length).toBeGreaterThan(1);
    for (const l of shown) expect(Number(l) * 10).toBeCloseTo(Math.round(Number(l) * 10), 9);
  });

  it('caption explains N as the FFT size beside the filter count', () => {
    const c = spectraCaption({ N: 64, kernel: [11, 11], filters: Array.from({ length: 32 }) as never });
    expect(c).toContain('32 filters of 11×11');
    expect(c).toContain('N = 64 is the FFT size');
    expect(c).toContain('max(32, 4·11)');
  });
});

describe('midBandTitle', () => {
  it('says when no centroid falls in the mid band, so "in green" does not promise bars that are not there', () => {
    expect(midBandTitle(true, false)).toBe('centroid (cycles/pixel); mid band [1/8, 1/4) bars in green');
    expect(midBandTitle(false, false)).toContain('(no centroid of this layer falls in it)');
    expect(midBandTitle(true, true)).toContain('outlined in green');
  });
});
