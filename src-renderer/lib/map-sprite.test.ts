import { describe, expect, it } from 'vitest';
import { paintMap, type HeatScale } from './heatmap.ts';
import { paintSprite, spriteLayout, tileOrigin, tileStyle } from './map-sprite.ts';

const rgbAt = (px: Uint8ClampedArray, width: number, x: number, y: number) => [...px.subarray((y * width + x) * 4, (y * width + x) * 4 + 4)];

describe('spriteLayout', () => {
  it('puts tiles with a one-pixel border in a near-square grid', () => {
    expect(spriteLayout(256, 13, 13)).toEqual({ count: 256, mapHeight: 13, mapWidth: 13, cols: 16, rows: 16, width: 240, height: 240 });
    expect(spriteLayout(96, 110, 110)).toMatchObject({ cols: 10, rows: 10, width: 1120 });
    expect(spriteLayout(5, 2, 3)).toMatchObject({ cols: 3, rows: 2, width: 15, height: 8 });
    expect(spriteLayout(1, 1, 1)).toMatchObject({ cols: 1, rows: 1, width: 3, height: 3 });
  });

  it('places map c left to right, then down, inside its border', () => {
    const l = spriteLayout(5, 2, 3);
    expect(tileOrigin(l, 0)).toEqual([1, 1]);
    expect(tileOrigin(l, 2)).toEqual([11, 1]);
    expect(tileOrigin(l, 3)).toEqual([1, 5]);
  });
});

describe('paintSprite', () => {
  it('paints each map as the heatmap does, its border repeating its edge pixels', () => {
    // Two 2×2 maps: a ramp, and a constant.
    const data = new Float32Array([0, 1, 2, 3, 1.5, 1.5, 1.5, 1.5]);
    const scales: HeatScale[] = [{ hi: 3, diverging: false }, { hi: 3, diverging: false }];
    const l = spriteLayout(2, 2, 2);
    const px = paintSprite(data, l, scales);
    const expected = new Uint8ClampedArray(16);
    paintMap(data, 0, 4, scales[0], expected);
    const [x0, y0] = tileOrigin(l, 0);
    for (let y = 0; y < 2; y++) for (let x = 0; x < 2; x++) expect(rgbAt(px, l.width, x0 + x, y0 + y)).toEqual([...expected.subarray((y * 2 + x) * 4, (y * 2 + x) * 4 + 4)]);
    // Corners and edges of the border copy the nearest map pixel.
    expect(rgbAt(px, l.width, x0 - 1, y0 - 1)).toEqual(rgbAt(px, l.width, x0, y0));
    expect(rgbAt(px, l.width, x0 + 2, y0 + 1)).toEqual(rgbAt(px, l.width, x0 + 1, y0 + 1));
    expect(rgbAt(px, l.width, x0 + 1, y0 + 2)).toEqual(rgbAt(px, l.width, x0 + 1, y0 + 1));
    // The second map sits in its own tile, border and all.
    const [x1, y1] = tileOrigin(l, 1);
    const constant = new Uint8ClampedArray(4);
    paintMap(data, 4, 1, scales[1], constant);
    for (let y = -1; y <= 2; y++) for (let x = -1; x <= 2; x++) expect(rgbAt(px, l.width, x1 + x, y1 + y)).toEqual([...constant]);
  });
});

describe('tileStyle', () => {
  it('scales the sprite and shifts the tile to the cell’s corner', () => {
    const l = spriteLayout(4, 13, 13); // 2×2 tiles of 15 px
    expect(tileStyle(l, 3, 2)).toEqual({ size: '60px 60px', position: '-32px -32px' });
    expect(tileStyle(l, 0, 0.5)).toEqual({ size: '15px 15px', position: '-0.5px -0.5px' });
  });
});
