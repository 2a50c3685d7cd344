// Occluder geometry (DESIGN §3 "Occlusion sensitivity"): a square of side s filled with 0 in the
// preprocessed tensor (the mean colour), top-left corners at 0, t, 2t, … while corner + s ≤ H (W).
import { AppError } from '../../../common/errors.ts';

export interface OcclusionGeometry {
  size: number;
  stride: number;
  rows: number;
  cols: number;
}

/** Defaults: s = H/8 (rounded, at least 1), t = s/2 (rounded, at least 1). */
export function occlusionGeometry(H: number, W: number, size?: number, stride?: number): OcclusionGeometry {
  const s = size ?? Math.max(1, Math.round(H / 8));
  const t = stride ?? Math.max(1, Math.round(s / 2));
  // Size 0 occludes nothing (the tests' identity check); the API takes 1 and up (common/schemas-topk.ts).
  if (!Number.isInteger(s) || s < 0) throw new AppError('INVALID_ARGUMENT', `occluder size must be a non-negative integer, got ${s}`);
  if (!Number.isInteger(t) || t < 1) throw new AppError('INVALID_ARGUMENT', `occluder stride must be a positive integer, got ${t}`);
  if (s > H || s > W) throw new AppError('INVALID_ARGUMENT', `occluder size ${s} is larger than the ${H}×${W} input`);
  return { size: s, stride: t, rows: Math.floor((H - s) / t) + 1, cols: Math.floor((W - s) / t) + 1 };
}

/** Writes the image with the square at grid cell (r, c) occluded into `out` (C×H×W). */
export function occludeInto(image: Float32Array, dims: readonly [number, number, number], g: OcclusionGeometry, r: number, c: number, out: Float32Array, fill = 0): void {
  const [C, H, W] = dims;
  out.set(image);
  const y0 = r * g.stride;
  const x0 = c * g.stride;
  for (let ch = 0; ch < C; ch++) {
    for (let y = y0; y < y0 + g.size; y++) out.fill(fill, ch * H * W + y * W + x0, ch * H * W + y * W + x0 + g.size);
  }
}
