import { describe, expect, it } from 'vitest';
import type { CorrespondenceResult } from '../../src-main/common/api-correspondence.ts';
import { boxFromDrag, correspondenceChart, correspondenceCsv, defaultBox, nudgeBox, partsJson, shortLayer } from './correspondence.ts';
import { readPartsFile } from '../../src-main/common/correspondence-parts.ts';

const r: CorrespondenceResult = {
  layers: ['/relu5/Relu_output_0', 'fc7'],
  parts: [
    { name: 'heel', images: 5, delta: { '/relu5/Relu_output_0': 0.1, fc7: 0.3 }, random: { '/relu5/Relu_output_0': { mean: 0.12, std: 0.01 }, fc7: { mean: 0.2, std: 0.05 } } },
    { name: 'collar, "big"', images: 3, delta: { '/relu5/Relu_output_0': 0.2, fc7: 0.1 }, random: { '/relu5/Relu_output_0': { mean: 0.22, std: 0.02 }, fc7: { mean: 0.3, std: 0.04 } } },
  ],
  random: { draws: 10, seed: 0, delta: { '/relu5/Relu_output_0': { mean: 0.17, std: 0.01 }, fc7: { mean: 0.25, std: 0.03 } } },
  ms: 5,
};

describe('correspondence view helpers', () => {
  it('a drag spans its two corners in either order, clipped to the input; a new box is a centred quarter', () => {
    expect(boxFromDrag([10, 20], [4.5, 8.2], 64, 64)).toEqual([4, 8, 7, 13]);
    expect(boxFromDrag([-5, 70], [3, 60], 64, 64)).toEqual([0, 60, 4, 4]);
    expect(boxFromDrag([7, 7], [7, 7], 64, 64)).toEqual([7, 7, 1, 1]);
    expect(defaultBox(64, 64)).toEqual([24, 24, 16, 16]);
  });

  it('arrow keys move the box inside the input, or with resize grow and shrink it (at least 1×1)', () => {
    expect(nudgeBox([0, 0, 8, 8], 'ArrowUp', 64, 64)).toEqual([0, 0, 8, 8]);
    expect(nudgeBox([0, 0, 8, 8], 'ArrowDown', 64, 64, 4)).toEqual([4, 0, 8, 8]);
    expect(nudgeBox([0, 56, 8, 8], 'ArrowRight', 64, 64)).toEqual([0, 56, 8, 8]);
    expect(nudgeBox([0, 0, 8, 8], 'ArrowLeft', 64, 64, 1, true)).toEqual([0, 0, 8, 7]);
    expect(nudgeBox([0, 0, 1, 1], 'ArrowUp', 64, 64, 1, true)).toEqual([0, 0, 1, 1]);
    expect(nudgeBox([60, 0, 4, 4], 'ArrowDown', 64, 64, 1, true)).toEqual([60, 0, 4, 4]);
    expect(nudgeBox([0, 0, 8, 8], 'Enter', 64, 64)).toBeNull();
  });

  it('saves the parts file the CLI reads back', () => {
    const file = { parts: [{ name: 'heel', boxes: [{ image: 'a/1.png', box: [1, 2, 3, 4] as [number, number, number, number] }, { image: 'a/2.png', box: [5, 6, 7, 8] as [number, number, number, number] }] }] };
    expect(readPartsFile(JSON.parse(partsJson(file)), 'x')).toEqual(file);
  });

  it('CSV: a row per part with Δ and its own control per layer, then the random row; names quoted', () => {
    const lines = correspondenceCsv(r).trim().split('\n');
    expect(lines[0]).toBe('part,images,delta /relu5/Relu_output_0,random mean /relu5/Relu_output_0,random std /relu5/Relu_output_0,delta fc7,random mean fc7,random std fc7');
    expect(lines[1]).toBe('heel,5,0.1,0.12,0.01,0.3,0.2,0.05');
    expect(lines[2].startsWith('"collar, ""big""",3,0.2,')).toBe(true);
    expect(lines[3]).toBe('"random (10 draws, seed 0)",,0.17,0.17,0.01,0.25,0.25,0.03');
  });

  it('the chart: a bar per part and layer, the random control last, whiskers at mean ± std', () => {
    const c = correspondenceChart(r);
    expect(c.data.labels).toEqual(['heel', 'collar, "big"', 'random (×10)']);
    expect(c.data.datasets.map((d) => d.label)).toEqual(['relu5', 'fc7']);
    expect(c.data.datasets[0].data).toEqual([0.1, 0.2, 0.17]);
    const ranges = (c.options!.plugins as unknown as { errorBars: { ranges: [number, number][][] } }).errorBars.ranges;
    expect(ranges[1][2][0]).toBeCloseTo(0.22, 12);
    expect(ranges[1][2][1]).toBeCloseTo(0.28, 12);
    expect(ranges[0][0][0]).toBeCloseTo(0.11, 12);
    // The axis reaches the highest whisker (fc7 of 'collar': 0.3 + 0.04).
    expect((c.options!.scales!.y as { suggestedMax: number }).suggestedMax).toBeCloseTo(0.34 * 1.05, 12);
    expect(shortLayer('/conv5/Conv_output_0')).toBe('conv5');
    expect(shortLayer('fc7')).toBe('fc7');
  });
});
