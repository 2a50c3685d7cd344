import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Preprocessing } from '../../common/types.ts';
import type { DecodedImage } from './decode.ts';
import { channelCount, defaultPreprocessing, fitGeometry, luminance, preprocess } from './preprocess.ts';

interface Case { name: string; height: number; width: number; channels: 1 | 3; data: number[]; preprocessing: Preprocessing; output: number[] }
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/preprocess-fixtures.json', import.meta.url), 'utf8')) as { cases: Case[] };

const img = (height: number, width: number, channels: 1 | 3, fill: (y: number, x: number, c: number) => number): DecodedImage => {
  const data = new Uint8Array(height * width * channels);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = fill(y, x, c);
  return { height, width, channels, data };
};

const plain = (over: Partial<Preprocessing>): Preprocessing => ({
  inputSize: [4, 4], channels: 'RGB', scale: 255, mean: [0, 0, 0], std: [1, 1, 1], resize: 'stretch', ...over,
});

describe('preprocess against PyTorch / torchvision pipelines', () => {
  for (const f of fixtures.cases) {
    it(f.name, () => {
      const out = preprocess({ height: f.height, width: f.width, channels: f.channels, data: Uint8Array.from(f.data) }, f.preprocessing);
      expect(out.length).toBe(f.output.length);
      let worst = 0;
      for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i] - f.output[i]));
      expect(worst).toBeLessThan(1e-4);
    });
  }
});

describe('preprocess', () => {
  it('computes ((pixel/scale) − mean[c]) / std[c], C×H×W', () => {
    const im = img(2, 3, 3, (y, x, c) => [10, 20, 30][c] + y * 3 + x);
    const p = plain({ inputSize: [2, 3], scale: 100, mean: [0.1, 0.2, 0.3], std: [2, 4, 8] });
    const out = preprocess(im, p);
    expect(out.length).toBe(3 * 2 * 3);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 2; y++) {
        for (let x = 0; x < 3; x++) {
          const v = [10, 20, 30][c] + y * 3 + x;
          expect(out[c * 6 + y * 3 + x]).toBeCloseTo((v / 100 - p.mean[c]) / p.std[c], 6);
        }
      }
    }
  });

  it('BGR puts blue first; mean/std follow the tensor order', () => {
    const im = img(1, 1, 3, (_y, _x, c) => [200, 100, 50][c]);
    const out = preprocess(im, plain({ inputSize: [1, 1], channels: 'BGR', mean: [0.1, 0, 0], std: [1, 1, 2] }));
    expect(Array.from(out).map((v) => +v.toFixed(5))).toEqual([+(50 / 255 - 0.1).toFixed(5), +(100 / 255).toFixed(5), +(200 / 255 / 2).toFixed(5)]);
  });

  it('gray image into an RGB model replicates the channel', () => {
    const im = img(3, 3, 1, (y, x) => y * 30 + x);
    const out = preprocess(im, plain({ inputSize: [3, 3] }));
    expect(Array.from(out.subarray(0, 9))).toEqual(Array.from(out.subarray(9, 18)));
    expect(Array.from(out.subarray(0, 9))).toEqual(Array.from(out.subarray(18, 27)));
  });

  it('colour image into a gray model uses the decoder\'s (sharp\'s) gray formula', async () => {
    const colours = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [100, 150, 200], [3, 250, 17], [128, 128, 128], [7, 8, 9], [255, 255, 255]];
    const rgb = Uint8Array.from(colours.flat());
    const bySharp = await sharp(rgb, { raw: { width: colours.length, height: 1, channels: 3 } }).greyscale().raw().toBuffer();
    const ours = luminance(rgb, colours.length);
    for (let i = 0; i < colours.length; i++) expect(Math.abs(ours[i] - bySharp[i])).toBeLessThanOrEqual(1);
    expect(Math.round(ours[0])).toBe(127); // pure red: Rec. 709 in linear light, not Rec. 601's 76

    const im = { height: 1, width: colours.length, channels: 3 as const, data: rgb };
    const out = preprocess(im, { inputSize: [1, colours.length], channels: 'gray', scale: 255, mean: [0], std: [1], resize: 'stretch' });
    for (let i = 0; i < colours.length; i++) expect(out[i]).toBeCloseTo(ours[i] / 255, 6);
  });

  it('shorter-side+center-crop on an already fitting height crops the middle columns exactly', () => {
    // 4×8 → 4×4: no scaling, crop offset ⌊(8 − 4)/2⌋ = 2.
    const im = img(4, 8, 1, (y, x) => y * 10 + x);
    const out = preprocess(im, { inputSize: [4, 4], channels: 'gray', scale: 1, mean: [0], std: [1], resize: 'shorter-side+center-crop' });
    expect(Array.from(out)).toEqual([2, 3, 4, 5, 12, 13, 14, 15, 22, 23, 24, 25, 32, 33, 34, 35]);
  });

  it('stretch ignores aspect', () => {
    const im = img(2, 8, 1, () => 255);
    const out = preprocess(im, { inputSize: [5, 3], channels: 'gray', scale: 255, mean: [0], std: [1], resize: 'stretch' });
    expect(out.length).toBe(15);
    for (const v of out) expect(v).toBeCloseTo(1, 6);
  });

  it('rejects preprocessing that does not fit the channels', () => {
    const im = img(2, 2, 3, () => 0);
    expect(() => preprocess(im, plain({ mean: [0] }))).toThrow(/needs 3 mean and std values/);
    expect(() => preprocess(im, plain({ inputSize: [0, 4] }))).toThrow(/inputSize/);
  });
});

describe('fitGeometry', () => {
  it('square target: shorter side to the target, longer side truncated as torchvision does', () => {
    expect(fitGeometry(10, 7, [16, 16], 'shorter-side+center-crop')).toEqual({ scaledH: 22, scaledW: 16, top: 3, left: 0 });
    expect(fitGeometry(375, 500, [224, 224], 'shorter-side+center-crop')).toEqual({ scaledH: 224, scaledW: 298, top: 0, left: 37 });
    expect(fitGeometry(64, 64, [64, 64], 'shorter-side+center-crop')).toEqual({ scaledH: 64, scaledW: 64, top: 0, left: 0 });
  });

  it('odd surplus: crop offset is ⌊(scaled − target)/2⌋', () => {
    // 4×11 → 4×4: surplus 7, offset 3 (torchvision's round(3.5) would give 4).
    expect(fitGeometry(4, 11, [4, 4], 'shorter-side+center-crop')).toEqual({ scaledH: 4, scaledW: 11, top: 0, left: 3 });
  });

  it('non-square target: the scale that covers both sides', () => {
    // 100×100 into 20×40: width decides (×0.4), height 40 then cropped to 20.
    expect(fitGeometry(100, 100, [20, 40], 'shorter-side+center-crop')).toEqual({ scaledH: 40, scaledW: 40, top: 10, left: 0 });
  });

  it('stretch is the target itself', () => {
    expect(fitGeometry(3, 1000, [64, 64], 'stretch')).toEqual({ scaledH: 64, scaledW: 64, top: 0, left: 0 });
  });
});

describe('defaultPreprocessing', () => {
  it('3 channels: ImageNet statistics, RGB, shorter side + centre crop', () => {
    expect(defaultPreprocessing(3, [224, 224])).toEqual({
      inputSize: [224, 224], channels: 'RGB', scale: 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: 'shorter-side+center-crop',
    });
  });

  it('1 channel: gray, mean 0.5, std 0.5, stretch', () => {
    const p = defaultPreprocessing(1, [64, 64]);
    expect(p).toEqual({ inputSize: [64, 64], channels: 'gray', scale: 255, mean: [0.5], std: [0.5], resize: 'stretch' });
    expect(channelCount(p)).toBe(1);
  });

  it('returns fresh arrays (callers edit them)', () => {
    const a = defaultPreprocessing(3, [8, 8]);
    a.mean[0] = 9;
    expect(defaultPreprocessing(3, [8, 8]).mean[0]).toBe(0.485);
  });
});
