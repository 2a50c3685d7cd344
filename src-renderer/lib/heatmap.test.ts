import { describe, expect, it } from 'vitest';
import { buildLut, DIVERGING_LUT, layerScales, lutIndex, paintMap, SEQUENTIAL_LUT } from './heatmap.ts';

describe('buildLut', () => {
  it('hits the end stops exactly and interpolates between them', () => {
    const lut = buildLut(['#000000', '#ff8040']);
    expect([...lut.slice(0, 3)]).toEqual([0, 0, 0]);
    expect([...lut.slice(255 * 3)]).toEqual([255, 128, 64]);
    expect([...lut.slice(51 * 3, 51 * 3 + 3)]).toEqual([51, 26, 13]);
  });

  it('puts the middle stop of an odd-length diverging map at index 128 (near black)', () => {
    const [r, g, b] = DIVERGING_LUT.slice(128 * 3, 128 * 3 + 3);
    expect(r + g + b).toBeLessThan(12);
  });
});

describe('layerScales', () => {
  // Two maps of 2×2: map 0 peaks at 4, map 1 at 1.
  const data = new Float32Array([0, 1, 4, 2, 0.5, 1, 0, 0]);

  it('shares the layer maximum, or uses each map’s own', () => {
    expect(layerScales(data, [2, 2, 2], 'shared')).toEqual([
      { hi: 4, diverging: false },
      { hi: 4, diverging: false },
    ]);
    expect(layerScales(data, [2, 2, 2], 'per-map')).toEqual([
      { hi: 4, diverging: false },
      { hi: 1, diverging: false },
    ]);
  });

  it('turns diverging for the whole layer when any value is negative, scaled by max |v|', () => {
    const d = new Float32Array([1, -3, 0, 0, 2, 0.5, 0, 0]);
    expect(layerScales(d, [2, 2, 2], 'per-map')).toEqual([
      { hi: 3, diverging: true },
      { hi: 2, diverging: true },
    ]);
  });

  it('gives a dead map a flat scale', () => {
    expect(layerScales(new Float32Array(4), [1, 2, 2], 'per-map')).toEqual([{ hi: 0, diverging: false }]);
  });
});

describe('lutIndex and paintMap', () => {
  it('maps 0..hi onto 0..255, clamping outside', () => {
    const s = { hi: 2, diverging: false };
    expect(lutIndex(0, s)).toBe(0);
    expect(lutIndex(1, s)).toBe(128);
    expect(lutIndex(2, s)).toBe(255);
    expect(lutIndex(5, s)).toBe(255);
    expect(lutIndex(-1, s)).toBe(0);
  });

  it('maps −hi..hi onto 0..255 with zero in the middle when diverging', () => {
    const s = { hi: 4, diverging: true };
    expect(lutIndex(-4, s)).toBe(0);
    expect(lutIndex(0, s)).toBe(128);
    expect(lutIndex(4, s)).toBe(255);
  });

  it('paints zero’s colour for a flat scale and NaN', () => {
    expect(lutIndex(3, { hi: 0, diverging: false })).toBe(0);
    expect(lutIndex(Number.NaN, { hi: 1, diverging: true })).toBe(128);
  });

  it('writes opaque RGBA pixels from the lookup table, agreeing with lutIndex', () => {
    const data = new Float32Array([9, 0, 1, 2]);
    const out = new Uint8ClampedArray(12);
    const s = { hi: 2, diverging: false };
    paintMap(data, 1, 3, s, out);
    for (let i = 0; i < 3; i++) {
      const k = lutIndex(data[1 + i], s);
      expect([...out.slice(i * 4, i * 4 + 4)]).toEqual([SEQUENTIAL_LUT[k * 3], SEQUENTIAL_LUT[k * 3 + 1], SEQUENTIAL_LUT[k * 3 + 2], 255]);
    }
  });
});
