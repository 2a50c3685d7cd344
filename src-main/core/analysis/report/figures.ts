// The report's raster figures, as PNG: a conv layer's filters as a grid, and an occlusion map as a
// heat map beside its image. Drawn here (no canvas in Node), deterministic for the same numbers.
import { encodePng } from '../../images/index.ts';

/** Filters K×C×kh×kw as one image: each filter scaled by its own max |w| around grey, 3 channels as RGB, else the channel mean. */
export async function filterGridPng(weights: Float32Array, dims: readonly [number, number, number, number], zoom = 6): Promise<Uint8Array> {
  return encodePng(filterGridPixels(weights, dims, zoom));
}

/** filterGridPng's pixels. Each weight's grey (or colour) is worked out once and copied zoom² times. */
export function filterGridPixels(weights: Float32Array, dims: readonly [number, number, number, number], zoom = 6): { width: number; height: number; channels: 3; data: Uint8Array } {
  const [K, C, kh, kw] = dims;
  const cols = Math.min(K, 16);
  const rows = Math.ceil(K / cols);
  const pad = 2;
  const cw = kw * zoom + pad;
  const ch = kh * zoom + pad;
  const width = cols * cw + pad;
  const height = rows * ch + pad;
  const rgb = C === 3;
  const px = new Uint8Array(width * height * 3).fill(255);
  // One filter's kh×kw pixels, 3 bytes each.
  const cell = new Uint8Array(kh * kw * 3);
  for (let k = 0; k < K; k++) {
    const base = k * C * kh * kw;
    let max = 1e-12;
    for (let i = 0; i < C * kh * kw; i++) max = Math.max(max, Math.abs(weights[base + i]));
    for (let wy = 0; wy < kh; wy++) {
      for (let wx = 0; wx < kw; wx++) {
        let mean = 0;
        if (!rgb) {
          for (let ci = 0; ci < C; ci++) mean += weights[base + (ci * kh + wy) * kw + wx];
          mean /= C;
        }
        for (let c = 0; c < 3; c++) {
          const v = rgb ? weights[base + (c * kh + wy) * kw + wx] : mean;
          cell[(wy * kw + wx) * 3 + c] = Math.max(0, Math.min(255, Math.round(128 + (127 * v) / max)));
        }
      }
    }
    const ox = pad + (k % cols) * cw;
    const oy = pad + Math.floor(k / cols) * ch;
    for (let y = 0; y < kh * zoom; y++) {
      const wy = Math.floor(y / zoom);
      for (let x = 0; x < kw * zoom; x++) {
        const at = (wy * kw + Math.floor(x / zoom)) * 3;
        const o = ((oy + y) * width + ox + x) * 3;
        px[o] = cell[at];
        px[o + 1] = cell[at + 1];
        px[o + 2] = cell[at + 2];
      }
    }
  }
  return { width, height, channels: 3, data: px };
}

/** A colour ramp for probabilities 0…1: dark blue (0) → yellow (1), as the paper's occlusion maps. */
function ramp(t: number): [number, number, number] {
  const c = Math.max(0, Math.min(1, t));
  return [Math.round(20 + 235 * c), Math.round(30 + 200 * c), Math.round(120 - 100 * c)];
}

/** A rows×cols grid of values in 0…1 as a heat map, each cell `cell` pixels. */
export async function heatmapPng(values: ArrayLike<number>, rows: number, cols: number, cell: number): Promise<Uint8Array> {
  const width = cols * cell;
  const height = rows * cell;
  const px = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = ramp(values[Math.floor(y / cell) * cols + Math.floor(x / cell)]);
      px.set([r, g, b], (y * width + x) * 3);
    }
  }
  return encodePng({ width, height, channels: 3, data: px });
}

/** A model-input image (C = 1 or 3 pixels) enlarged by `zoom` (nearest), for small inputs in print. */
export async function enlargedPng(data: Uint8Array, channels: 1 | 3, width: number, height: number, zoom: number): Promise<Uint8Array> {
  const W = width * zoom;
  const H = height * zoom;
  const px = new Uint8Array(W * H * channels);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < channels; c++) px[(y * W + x) * channels + c] = data[(Math.floor(y / zoom) * width + Math.floor(x / zoom)) * channels + c];
  return encodePng({ width: W, height: H, channels, data: px });
}
