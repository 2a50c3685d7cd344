// A layer's maps as one image (a sprite sheet) that the map grid's cells show a tile of each. One
// image is one load and one decode; a canvas per cell was a composited layer per cell, and with
// hundreds of maps every frame re-uploaded them all (a click on conv5's 256 maps cost ~250 ms),
// while an image per cell cost a resource load per cell (~1 ms each). Each tile carries a one-pixel
// border repeating its edge, so scaling never blends in a neighbour's pixels.
import { paintMap, type HeatScale } from './heatmap.ts';

export interface SpriteLayout {
  /** Maps, and each map's height and width. */
  count: number;
  mapHeight: number;
  mapWidth: number;
  cols: number;
  rows: number;
  /** The sprite's size in pixels. */
  width: number;
  height: number;
}

const BORDER = 1;

/** Tiles in a near-square grid, so that neither side of the image grows long. */
export function spriteLayout(count: number, mapHeight: number, mapWidth: number): SpriteLayout {
  const cols = Math.max(1, Math.ceil(Math.sqrt(count)));
  const rows = Math.max(1, Math.ceil(count / cols));
  return {
    count,
    mapHeight,
    mapWidth,
    cols,
    rows,
    width: cols * (mapWidth + 2 * BORDER),
    height: rows * (mapHeight + 2 * BORDER),
  };
}

/** The sprite pixel (x, y) where map `c`'s top-left pixel sits. */
export function tileOrigin(layout: SpriteLayout, c: number): [number, number] {
  const col = c % layout.cols;
  const row = Math.floor(c / layout.cols);
  return [col * (layout.mapWidth + 2 * BORDER) + BORDER, row * (layout.mapHeight + 2 * BORDER) + BORDER];
}

/** RGBA pixels of the sprite of a C×H×W tensor, each map coloured by its scale. */
export function paintSprite(data: Float32Array, layout: SpriteLayout, scales: readonly HeatScale[]): Uint8ClampedArray {
  const { count, mapHeight: H, mapWidth: W, width } = layout;
  const n = H * W;
  const out = new Uint8ClampedArray(layout.width * layout.height * 4);
  const map = new Uint8ClampedArray(n * 4);
  for (let c = 0; c < count; c++) {
    paintMap(data, c * n, n, scales[c], map);
    const [x0, y0] = tileOrigin(layout, c);
    for (let y = -BORDER; y < H + BORDER; y++) {
      const sy = y < 0 ? 0 : y >= H ? H - 1 : y;
      let o = ((y0 + y) * width + x0 - BORDER) * 4;
      for (let x = -BORDER; x < W + BORDER; x++, o += 4) {
        const sx = x < 0 ? 0 : x >= W ? W - 1 : x;
        const i = (sy * W + sx) * 4;
        out[o] = map[i];
        out[o + 1] = map[i + 1];
        out[o + 2] = map[i + 2];
        out[o + 3] = 255;
      }
    }
  }
  return out;
}

/**
 * CSS for a cell showing map `c` at `k` screen pixels per map pixel: the sprite scaled by k and
 * shifted so the tile sits in the cell's box.
 */
export function tileStyle(layout: SpriteLayout, c: number, k: number): { size: string; position: string } {
  const [x0, y0] = tileOrigin(layout, c);
  return { size: `${layout.width * k}px ${layout.height * k}px`, position: `${-x0 * k}px ${-y0 * k}px` };
}
