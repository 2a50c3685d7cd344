// Feature maps as heatmaps: a colour scale per map (shared across the layer or per map) and a
// painter that writes RGBA pixels from a flat C×H×W Float32Array without allocating.

/**
 * How values map to colours. Sequential: [lo, hi] (lo defaults to 0). Diverging (the layer has
 * negative values): [−hi, hi] around black.
 */
export interface HeatScale {
  hi: number;
  diverging: boolean;
  lo?: number;
}

export type ScaleMode = 'shared' | 'per-map';

/** Matplotlib's inferno at eleven evenly spaced stops: dark for zero, bright for strong. */
export const INFERNO = ['#000004', '#160b39', '#420a68', '#6a176e', '#932667', '#bc3754', '#dd513a', '#f37819', '#fca50a', '#f6d746', '#fcffa4'];

/** Blue below zero, black at zero, inferno-like warm colours above. */
export const ICE_FIRE = ['#d6ecff', '#7ab8ff', '#2f6fcc', '#173462', '#0c1020', '#000004', '#2a0b2e', '#6a176e', '#bc3754', '#f37819', '#fcffa4'];

/** A 256-entry RGB lookup table interpolated linearly between evenly spaced `#rrggbb` stops. */
export function buildLut(stops: readonly string[]): Uint8ClampedArray {
  if (stops.length < 2) throw new RangeError('buildLut: need at least two stops');
  const rgb = stops.map((s) => [1, 3, 5].map((i) => parseInt(s.slice(i, i + 2), 16)));
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * (stops.length - 1);
    const k = Math.min(stops.length - 2, Math.floor(t));
    const f = t - k;
    for (let ch = 0; ch < 3; ch++) lut[i * 3 + ch] = Math.round(rgb[k][ch] + (rgb[k + 1][ch] - rgb[k][ch]) * f);
  }
  return lut;
}

export const SEQUENTIAL_LUT = buildLut(INFERNO);
export const DIVERGING_LUT = buildLut(ICE_FIRE);

/** Index 0..255 into the scale's lookup table; a flat scale (hi = 0, a dead map) paints zero's colour. */
export function lutIndex(v: number, scale: HeatScale): number {
  const lo = scale.diverging ? 0 : (scale.lo ?? 0);
  if (!(scale.hi > lo) || !Number.isFinite(v)) return scale.diverging ? 128 : 0;
  const t = scale.diverging ? (v / scale.hi + 1) / 2 : (v - lo) / (scale.hi - lo);
  return Math.round(Math.min(1, Math.max(0, t)) * 255);
}

/**
 * One scale per map of a C×H×W tensor. The colour map is the layer's (diverging when any value is
 * negative) so shared and per-map views read the same way; only the magnitude differs.
 */
export function layerScales(data: Float32Array, dims: readonly [number, number, number], mode: ScaleMode): HeatScale[] {
  const [C, H, W] = dims;
  const n = H * W;
  const mag = new Float64Array(C);
  let min = Infinity;
  for (let c = 0; c < C; c++) {
    let m = 0;
    for (let i = c * n, end = i + n; i < end; i++) {
      const v = data[i];
      if (v < min) min = v;
      const a = v < 0 ? -v : v;
      if (a > m) m = a;
    }
    mag[c] = m;
  }
  // Without negative values max |v| is the maximum, the top of a sequential scale.
  const diverging = min < 0;
  let shared = 0;
  for (let c = 0; c < C; c++) if (mag[c] > shared) shared = mag[c];
  return Array.from({ length: C }, (_, c) => ({ hi: mode === 'shared' ? shared : mag[c], diverging }));
}

/** Writes `count` values starting at `offset` as RGBA pixels into `out` (length ≥ 4·count). */
export function paintMap(data: Float32Array, offset: number, count: number, scale: HeatScale, out: Uint8ClampedArray): void {
  const lut = scale.diverging ? DIVERGING_LUT : SEQUENTIAL_LUT;
  for (let i = 0; i < count; i++) {
    const k = lutIndex(data[offset + i], scale) * 3;
    const o = i * 4;
    out[o] = lut[k];
    out[o + 1] = lut[k + 1];
    out[o + 2] = lut[k + 2];
    out[o + 3] = 255;
  }
}

/** A CSS gradient of a colour map, for legends. */
export function cssGradient(stops: readonly string[]): string {
  return `linear-gradient(to right, ${stops.join(', ')})`;
}
