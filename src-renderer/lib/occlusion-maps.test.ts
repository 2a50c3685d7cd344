import { describe, expect, it } from 'vitest';
import type { OcclusionResult } from '../../src-main/common/api-occlusion.ts';
import { CLASS_COLOURS, classPalette, occlusionCaptions, occlusionCsv, OTHER_COLOUR, paintClasses, rangeScale } from './occlusion-maps.ts';

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

  it('legend: classes by share, each its own colour', () => {
    const { legend, colourOf } = classPalette(r);
    expect(legend.map((l) => [l.label, l.share])).toEqual([['dog', 4 / 6], ['cat', 1 / 6], ['ball', 1 / 6]]);
    expect(colourOf.get(2)).not.toBe(colourOf.get(12));
    const px = new Uint8ClampedArray(24);
    paintClasses(r.top1, colourOf, px);
    expect(Array.from(px.subarray(0, 4))).toEqual([0x4e, 0x79, 0xa7, 255]);
  });

  it('no two of the top N classes share a colour; the rest are "other" (classes 20 and 820 included)', () => {
    // 1000 classes; 30 of them appear, the i-th on 40 − i positions (20 and 820 among them).
    const classes = [...Array.from({ length: 28 }, (_, i) => (i < 20 ? i : i + 1)), 820, 20];
    const top1 = Int32Array.from(classes.flatMap((c, i) => Array<number>(40 - i).fill(c)));
    const { legend, colourOf } = classPalette({ top1, labels: { 20: 'twenty', 820: 'eight-twenty' } }, 9);
    const named = legend.filter((l) => l.index !== null);
    expect(named).toHaveLength(9);
    expect(new Set(named.map((l) => l.colour)).size).toBe(9);
    expect(named.every((l) => CLASS_COLOURS.includes(l.colour) && l.colour !== OTHER_COLOUR)).toBe(true);
    const other = legend.at(-1)!;
    expect(other.index).toBeNull();
    expect(other.label).toBe('other (21 classes)');
    expect(other.colour).toBe(OTHER_COLOUR);
    expect(legend.reduce((a, l) => a + l.share, 0)).toBeCloseTo(1);
    for (const c of [20, 820, 27]) expect(colourOf.has(c)).toBe(false);
    const px = new Uint8ClampedArray(4);
    paintClasses(Int32Array.of(820), colourOf, px);
    expect(Array.from(px.subarray(0, 3))).toEqual([0xba, 0xb0, 0xac]);
  });

  it('scales show the real range, auto-contrast clips the extremes', () => {
    expect(rangeScale(Float32Array.from([0.92, 0.95, 0.99]))).toEqual({ lo: Math.fround(0.92), hi: Math.fround(0.99), diverging: false });
    const v = Float32Array.from({ length: 100 }, (_, i) => (i === 99 ? 1000 : i));
    expect(rangeScale(v, true).hi).toBeLessThan(1000);
    expect(rangeScale(v, true).lo).toBeGreaterThanOrEqual(0);
  });
});

describe('occlusionCaptions', () => {
  it('defines activity and a[c,p] and names the unoccluded total as a sum over positions', () => {
    const c = occlusionCaptions(r, { activation: (v) => v.toFixed(2), percent: (v) => `${(v * 100).toFixed(0)}%` });
    expect(c.activity).toContain('Σₚ a[c,p]');
    expect(c.activity).toContain('map c = 3 of conv5');
    expect(c.activity).toContain('Unoccluded total: 7.00');
    expect(c.pClass).toContain('P(dog)');
    expect(c.pClass).toContain('Unoccluded: 90%');
    expect(c.top1).toContain('Unoccluded: dog');
    expect(c.top1).toContain('"other"');
  });
});
