import { describe, expect, it } from 'vitest';
import type { InvarianceImageResult } from '../../src-main/common/api-invariance.ts';
import { curveLegend, imageName, meanCurve, perClass, pTrueUnavailable, rangeProblem, seriesFor, sweepCsv, type SweepRun } from './invariance-series.ts';

function image(path: string, d: number[], p: number[]): InvarianceImageResult {
  return {
    path,
    trueClass: 'Bag',
    trueIndex: 8,
    trueFrom: 'folder',
    distance: { L: Float32Array.from(d) },
    normalized: { L: Float32Array.from(d.map((v) => v / 4)) },
    norm: { L: 4 },
    pTrue: Float32Array.from(p),
    top1: Int32Array.from(p.map((v) => (v > 0.5 ? 8 : 1))),
  };
}

const run: SweepRun = {
  transform: 'translate-y',
  thetas: [-1, 0, 1],
  layers: ['L'],
  labels: ['a', 'Trouser', 'c', 'd', 'e', 'f', 'g', 'h', 'Bag'],
  images: [image('bag/00018.png', [2, 0, 4], [0.75, 1, 0.25]), image('bag/x,y.png', [4, 0, 8], [0.25, 1, 0.75])],
};

describe('invariance series', () => {
  it('one curve per image plus their mean, on the chosen scale', () => {
    const abs = seriesFor(run, { layer: 'L', scale: 'absolute' });
    expect(abs.map((s) => s.label)).toEqual(['00018 (Bag)', 'x,y (Bag)', 'mean']);
    expect(abs[2].image).toBe(-1);
    expect(abs[2].points).toEqual([{ x: -1, y: 3 }, { x: 0, y: 0 }, { x: 1, y: 6 }]);
    expect(seriesFor(run, { layer: 'L', scale: 'normalized' })[0].points.map((p) => p.y)).toEqual([0.5, 0, 1]);
    expect(seriesFor(run, 'pTrue')[2].points.map((p) => p.y)).toEqual([0.5, 1, 0.5]);
    expect(seriesFor({ ...run, images: run.images.slice(0, 1) }, 'pTrue')).toHaveLength(1);
  });

  it('names a class in the legend only where the P row draws P of it', () => {
    const guessed = (img: InvarianceImageResult): InvarianceImageResult => ({ ...img, trueClass: 'class 82', trueIndex: 82, trueFrom: 'prediction' });
    // No true class anywhere: the P row says "not available", so no class index in the legend.
    const flat = { ...run, images: [guessed(image('00018.png', [1, 0, 1], [0, 0, 0])), guessed(image('00019.png', [1, 0, 1], [0, 0, 0]))] };
    expect(seriesFor(flat, 'pTrue').map((s) => s.label)).toEqual(['00018', '00019', 'mean']);
    // Mixed: the P row is drawn, and the guessed image's curve is P of its own top-1 class, said so.
    const mixed = { ...run, images: [run.images[0], guessed(run.images[1])] };
    expect(seriesFor(mixed, 'pTrue').map((s) => s.label)).toEqual(['00018 (Bag)', 'x,y (P of its top-1 class: class 82)', 'mean']);
  });

  it('meanCurve skips non-finite values', () => {
    expect(meanCurve([[1, Infinity], [3, 2]], 2)).toEqual([2, 2]);
    expect(meanCurve([[Number.NaN]], 1)[0]).toBeNaN();
  });

  it('CSV has one row per image and θ, quoting fields that need it', () => {
    const csv = sweepCsv([run]).trim().split('\n');
    expect(csv[0]).toBe('transform,image,true_class,true_from,theta,d L,d_norm L,p_true,top1');
    expect(csv).toHaveLength(1 + 2 * 3);
    expect(csv[1]).toBe('translate-y,bag/00018.png,Bag,folder,-1,2,0.5,0.75,Bag');
    expect(csv[6]).toBe('translate-y,"bag/x,y.png",Bag,folder,1,8,2,0.75,Bag');
    expect(csv[3]).toMatch(/,0.25,Trouser$/);
  });

  it('picks n images per class in folder order; checks ranges', () => {
    const e = (c: string | null, i: number) => ({ path: `${c}/${i}`, className: c });
    expect(perClass([e('a', 1), e('a', 2), e('a', 3), e('b', 1), e(null, 1), e(null, 2)], 2).map((x) => x.path)).toEqual(['a/1', 'a/2', 'b/1', 'null/1', 'null/2']);
    expect(imageName('x/y/z.test.png')).toBe('z.test');
    expect(rangeProblem('scale', 0, 2, 5)).toMatch(/positive/);
    expect(rangeProblem('rotate', 0, 350, 0)).toMatch(/Steps/);
    expect(rangeProblem('translate-x', -3, 3, 7)).toBeNull();
    // The server's limits, against the open model's input size.
    expect(rangeProblem('rotate', 0, 400, 5)).toMatch(/400 must be an angle from -360 to 360/);
    expect(rangeProblem('scale', 1, 500, 5)).toMatch(/at most 100/);
    expect(rangeProblem('translate-x', -80, 80, 5, [64, 64])).toMatch(/-80 must be a translation from -64 to 64 pixels/);
    expect(rangeProblem('translate-y', -60, 60, 5, [64, 64])).toBeNull();
  });
});

describe('pTrueUnavailable', () => {
  it('says P(true class) is not available when no image had a class from the folder', () => {
    expect(pTrueUnavailable([{ path: 'a.png', trueFrom: 'prediction' }, { path: 'b.png', trueFrom: 'prediction' }])).toBe('not available (the folder has no class sub-folders)');
    expect(pTrueUnavailable([{ path: 'x/a.png', trueFrom: 'prediction' }])).toBe("not available (the folder's class sub-folders do not name the model's classes)");
  });

  it('is available when any image has its class from the folder, and undecided before any result', () => {
    expect(pTrueUnavailable([{ path: 'cat/a.png', trueFrom: 'folder' }, { path: 'b.png', trueFrom: 'prediction' }])).toBeNull();
    expect(pTrueUnavailable([])).toBeNull();
  });
});

describe('curveLegend', () => {
  const palette = ['#a', '#b', '#c'];
  it('names every image curve, distinguishes repeated colours by dash and ends with the mean', () => {
    const series = [...Array.from({ length: 5 }, (_, i) => ({ label: `img${i} (cat)`, image: i })), { label: 'mean', image: -1 }];
    const l = curveLegend(series, palette);
    expect(l.map((e) => e.label)).toEqual(['img0 (cat)', 'img1 (cat)', 'img2 (cat)', 'img3 (cat)', 'img4 (cat)', 'mean of the 5 images (thick, white)']);
    const keys = l.filter((e) => !e.mean).map((e) => `${e.colour}${e.dash.join()}`);
    expect(new Set(keys).size).toBe(5);
    expect(l.at(-1)!.mean).toBe(true);
    expect(l.at(-1)!.colour).not.toBe(palette[0]);
  });
  it('has no mean entry for one image', () => {
    expect(curveLegend([{ label: 'a', image: 0 }], palette)).toHaveLength(1);
  });
});
