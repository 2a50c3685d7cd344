import { describe, expect, it } from 'vitest';
import { filterImage, spectrumImage, SPECTRUM_DECADES } from './spectra-render.ts';
import { SEQUENTIAL_LUT } from './heatmap.ts';

describe('filter images', () => {
  it('gray: v/max|v| around 128 per filter (contrast normalised), zero is mid-gray', () => {
    // Two 1×2×2 filters with different scales draw the same image.
    const w = Float32Array.from([-1, 0, 0.5, 1, -10, 0, 5, 10]);
    const a = filterImage(w, [2, 1, 2, 2], 0);
    const b = filterImage(w, [2, 1, 2, 2], 1);
    expect(a).toMatchObject({ width: 2, height: 2 });
    expect([...a.data]).toEqual([...b.data]);
    expect([0, 4, 8, 12].map((i) => a.data[i])).toEqual([1, 128, Math.round(128 + 63.5), 255]);
    expect(a.data[3]).toBe(255);
  });

  it('3 channels are RGB, normalised by the max over all channels; a zero filter is flat gray', () => {
    const w = Float32Array.from([2, 0, 0, -2, 0, 1]); // 1×3×1×2: R = [2, 0], G = [0, −2], B = [0, 1]
    const img = filterImage(w, [1, 3, 1, 2], 0);
    expect([...img.data]).toEqual([255, 128, 128, 255, 128, 1, Math.round(128 + 63.5), 255]);
    const zero = filterImage(new Float32Array(4), [1, 1, 2, 2], 0);
    expect([...zero.data].filter((_, i) => i % 4 !== 3).every((v) => v === 128)).toBe(true);
  });

  it('other channel counts show the channel mean, normalised by its own maximum', () => {
    const w = Float32Array.from([1, -1, 3, 1]); // 1×2×1×2: mean = [2, 0]
    const img = filterImage(w, [1, 2, 1, 2], 0);
    expect([img.data[0], img.data[4]]).toEqual([255, 128]);
  });
});

describe('spectrum images', () => {
  it('log power over SPECTRUM_DECADES decades: the peak is the top of the colour map, far below is the bottom', () => {
    const n = 2;
    const s = Float32Array.from([0, 0, 0, 0, 1, 1 / 16, 1e-9, 0]);
    const img = spectrumImage(s, n, 1);
    const top = SEQUENTIAL_LUT.slice(255 * 3, 255 * 3 + 3);
    const j = Math.round((1 + Math.log10(1 / 16) / SPECTRUM_DECADES) * 255);
    const mid = SEQUENTIAL_LUT.slice(j * 3, j * 3 + 3);
    const bottom = SEQUENTIAL_LUT.slice(0, 3);
    expect([...img.data.slice(0, 3)]).toEqual([...top]);
    expect([...img.data.slice(4, 7)]).toEqual([...mid]);
    expect([...img.data.slice(8, 11)]).toEqual([...bottom]);
    expect([...img.data.slice(12, 15)]).toEqual([...bottom]);
    const empty = spectrumImage(s, n, 0);
    expect([...empty.data.slice(0, 3)]).toEqual([...bottom]);
  });
});
