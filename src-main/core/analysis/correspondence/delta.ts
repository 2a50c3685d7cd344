// The arithmetic of DESIGN §3 "Correspondence": masking a box, the sign-disagreement Δ over pairs,
// and the random control's boxes. Plain loops over flat arrays; the batching is correspondence.ts's.
import type { PartBox } from '../../../common/api-correspondence.ts';

/** Writes `image` (C×H×W) with `box` filled with `fill` in every channel into `out`. */
export function maskInto(image: Float32Array, dims: readonly [number, number, number], box: PartBox, out: Float32Array, fill = 0): void {
  const [C, H, W] = dims;
  const [y0, x0, h, w] = box;
  out.set(image);
  for (let c = 0; c < C; c++) {
    for (let y = y0; y < y0 + h; y++) out.fill(fill, c * H * W + y * W + x0, c * H * W + y * W + x0 + w);
  }
}

/** sign ∈ {−1, 0, +1} of φ(x) − φ(x̃), element by element (0 where the mask changed nothing). */
export function signsOf(features: Float32Array, masked: Float32Array): Int8Array {
  const out = new Int8Array(features.length);
  for (let d = 0; d < features.length; d++) {
    const e = features[d] - masked[d];
    out[d] = e > 0 ? 1 : e < 0 ? -1 : 0;
  }
  return out;
}

/**
 * Δ = the mean over unordered pairs i < j of the share of dimensions whose signs differ. A zero
 * change is a sign of its own: it agrees with another zero and disagrees with ±1.
 */
export function signDisagreement(signs: readonly Int8Array[]): number {
  const n = signs.length;
  if (n < 2) throw new RangeError(`Δ compares pairs: it needs at least two images, got ${n}`);
  const D = signs[0].length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const a = signs[i];
      const b = signs[j];
      let differ = 0;
      for (let d = 0; d < D; d++) if (a[d] !== b[d]) differ++;
      sum += D ? differ / D : 0;
    }
  }
  return sum / ((n * (n - 1)) / 2);
}

/**
 * A box of size h×w at a uniformly drawn top-left corner among those that keep it inside H×W:
 * y uniform in 0…H−h, then x uniform in 0…W−w, each from one draw of `rnd`.
 */
export function randomBoxLike(box: PartBox, H: number, W: number, rnd: () => number): PartBox {
  const [, , h, w] = box;
  const y = Math.min(H - h, Math.floor(rnd() * (H - h + 1)));
  const x = Math.min(W - w, Math.floor(rnd() * (W - w + 1)));
  return [y, x, h, w];
}

/** Mean and population standard deviation. */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  if (values.length === 0) return { mean: NaN, std: NaN };
  const mean = values.reduce((a, v) => a + v, 0) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}
