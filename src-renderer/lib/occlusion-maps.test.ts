import { describe, expect, it } from 'vitest';
import type { OcclusionResult } from '../../src-main/common/api-occlusion.ts';
import { classColour, occlusionCsv, paintClasses, sequentialScale, top1Legend } from './occlusion-maps.ts';

const r = {
  path: 'x.png', size: 8, stride: 4, grid: [2, 3], targetClass: 1, targetLabel: 'dog', targetSource: 'true',
  pClass: Float32Array.from([0.5, 0.25, 1, 0, 0.75, 0.5]), top1: Int32Array.from([1, 1, 2, 1, 12, 1]), activity: Float32Array.from([1, 2, 3, 4, 5, 6]),
  layer: 'conv5', tensor: 'relu5', channel: 3, base: { pClass: 0.9, top1: 1, activity: 7 }, labels: { 1: 'dog', 2: 'cat', 12: 'ball' }, ms: 1,
} as OcclusionResult;

describe('occlusion display helpers', () => {
  it('CSV rows carry the occluder corner (row·stride, col·stride) and the three outputs', () => {
    const lines = occlusionCsv(r).trim().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[5]).toBe('1,1,4,4,0.75,12,ball,5');
  });

  it('legend: classes by share; colours repeat after ten', () => {
    expect(top1Legend(r).map((l) => [l.label, l.share])).toEqual([['dog', 4 / 6], ['cat', 1 / 6], ['ball', 1 / 6]]);
    expect(classColour(12)).toBe(classColour(2));
    const px = new Uint8ClampedArray(24);
    paintClasses(r.top1, px);
    expect(Array.from(px.subarray(0, 4))).toEqual([0xf2, 0x8e, 0x2b, 255]);
  });

  it('scales: sequential from 0 (at least to the floor given), diverging with negatives', () => {
    expect(sequentialScale(Float32Array.from([0.2, 0.4]), 1)).toEqual({ hi: 1, diverging: false });
    expect(sequentialScale(Float32Array.from([-3, 2]))).toEqual({ hi: 3, diverging: true });
  });
});
