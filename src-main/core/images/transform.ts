// Geometric transforms of a model input for invariance sweeps (DESIGN §3 "Invariance sweep"):
// translation, scale and rotation about the centre, bilinear, uncovered pixels filled.
//
// Where they act: on the preprocessed C×H×W tensor, i.e. after the preprocessing geometry
// (resize/crop to the input size) and the normalisation, with fill value 0. That is the same image
// as transforming the pixels at the input size before normalising with the mean colour as fill:
// normalisation is an affine map per channel, a bilinear sample is a combination with weights
// summing to one, so the two commute, and the mean colour normalises to exactly 0. Working at the
// input resolution is what makes θ mean "pixels at the model's input size" and keeps the
// identities exact: θ = 0, scale 1 and rotation by a multiple of 360° copy the tensor bit for bit,
// and an integer translation hits source pixel centres exactly (weights 1 and 0).

import type { TransformKind } from '../../common/api-invariance.ts';

export { TRANSFORM_KINDS, thetaRange, type TransformKind } from '../../common/api-invariance.ts';

/**
 * The inverse map of a transform: output pixel (y, x) samples the source at
 * (a·oy + b·ox + cy + ty, c·oy + d·ox + cx + tx) with (oy, ox) = (y − cy, x − cx), the offsets from
 * the centre (cy, cx) = ((H − 1)/2, (W − 1)/2) in pixel-centre coordinates.
 */
interface InverseMap {
  a: number;
  b: number;
  c: number;
  d: number;
  ty: number;
  tx: number;
}

/** cos and sin of θ degrees, exact at multiples of 90° (so 90°, 180°, 360° introduce no rounding). */
function cosSinDegrees(theta: number): [number, number] {
  const t = ((theta % 360) + 360) % 360;
  if (t === 0) return [1, 0];
  if (t === 90) return [0, 1];
  if (t === 180) return [-1, 0];
  if (t === 270) return [0, -1];
  const r = (t * Math.PI) / 180;
  return [Math.cos(r), Math.sin(r)];
}

function inverseMap(kind: TransformKind, theta: number): InverseMap {
  if (!Number.isFinite(theta)) throw new RangeError(`transform ${kind}: θ must be a finite number, got ${theta}`);
  switch (kind) {
    // Positive θ moves the content right / down: output x shows source x − θ.
    case 'translate-x':
      return { a: 1, b: 0, c: 0, d: 1, ty: 0, tx: -theta };
    case 'translate-y':
      return { a: 1, b: 0, c: 0, d: 1, ty: -theta, tx: 0 };
    case 'scale': {
      if (!(theta > 0)) throw new RangeError(`transform scale: the factor must be positive, got ${theta}`);
      const s = 1 / theta;
      return { a: s, b: 0, c: 0, d: s, ty: 0, tx: 0 };
    }
    case 'rotate': {
      // Positive θ turns the content counter-clockwise as displayed (y grows downwards): a point
      // right of the centre moves up. The inverse rotates the output offset back by θ.
      const [cos, sin] = cosSinDegrees(theta);
      return { a: cos, b: sin, c: -sin, d: cos, ty: 0, tx: 0 };
    }
  }
}

/** True when the transform is the identity, bit for bit. */
export function isIdentityTransform(kind: TransformKind, theta: number): boolean {
  const m = inverseMap(kind, theta);
  return m.a === 1 && m.b === 0 && m.c === 0 && m.d === 1 && m.ty === 0 && m.tx === 0;
}

/**
 * Transforms C planes of H×W (a C×H×W tensor) into `out` (same size; a new array if omitted).
 * Bilinear over the image extended by `fill` outside it: a sample half a pixel past the border is
 * half image, half fill; one further out is all fill.
 */
export function transformPlanes(
  src: Float32Array, channels: number, height: number, width: number, kind: TransformKind, theta: number,
  fill = 0, out: Float32Array = new Float32Array(src.length),
): Float32Array {
  const plane = height * width;
  if (src.length !== channels * plane) throw new RangeError(`transform: ${src.length} values for ${channels}×${height}×${width}`);
  if (out.length !== src.length) throw new RangeError(`transform: output has ${out.length} values, expected ${src.length}`);
  const m = inverseMap(kind, theta);
  if (m.a === 1 && m.b === 0 && m.c === 0 && m.d === 1 && m.ty === 0 && m.tx === 0) {
    out.set(src);
    return out;
  }
  const cy = (height - 1) / 2;
  const cx = (width - 1) / 2;
  const { a, b, c, d } = m;
  if (b === 0 && c === 0) {
    separable(src, channels, height, width, a, d, m.ty, cx + m.tx, cy, cx, fill, out);
    return out;
  }
  for (let y = 0; y < height; y++) {
    const oy = y - cy;
    // Source point of x = 0 on this row; each step right adds (b, d).
    const rowY = a * oy + cy + m.ty;
    const rowX = c * oy + cx + m.tx;
    for (let x = 0; x < width; x++) {
      const ox = x - cx;
      const sy = rowY + b * ox;
      const sx = rowX + d * ox;
      const y0 = Math.floor(sy);
      const x0 = Math.floor(sx);
      const fy = sy - y0;
      const fx = sx - x0;
      const o = y * width + x;
      const i00 = y0 * width + x0;
      if (y0 >= 0 && y0 + 1 < height && x0 >= 0 && x0 + 1 < width) {
        // All four neighbours inside: no fill checks. At an integer point fx = fy = 0 and this is exactly v00.
        for (let k = 0, base = 0; k < channels; k++, base += plane) {
          const p = base + i00;
          out[base + o] = (1 - fy) * ((1 - fx) * src[p] + fx * src[p + 1]) + fy * ((1 - fx) * src[p + width] + fx * src[p + width + 1]);
        }
        continue;
      }
      if (y0 + 1 < 0 || y0 >= height || x0 + 1 < 0 || x0 >= width) {
        for (let k = 0, base = 0; k < channels; k++, base += plane) out[base + o] = fill;
        continue;
      }
      const inY0 = y0 >= 0;
      const inY1 = y0 + 1 < height;
      const inX0 = x0 >= 0;
      const inX1 = x0 + 1 < width;
      for (let k = 0, base = 0; k < channels; k++, base += plane) {
        const p = base + i00;
        const v00 = inY0 && inX0 ? src[p] : fill;
        const v01 = inY0 && inX1 ? src[p + 1] : fill;
        const v10 = inY1 && inX0 ? src[p + width] : fill;
        const v11 = inY1 && inX1 ? src[p + width + 1] : fill;
        out[base + o] = (1 - fy) * ((1 - fx) * v00 + fx * v01) + fy * ((1 - fx) * v10 + fx * v11);
      }
    }
  }
  return out;
}

/**
 * Translation and scale map rows to rows and columns to columns: the source row of output y and the
 * source column of output x are worked out once per axis, with the general loop's arithmetic
 * (sy = a·(y − cy) + cy + ty, sx = (cx + tx) + d·(x − cx)), so the results are the same.
 */
function separable(
  src: Float32Array, channels: number, height: number, width: number, a: number, d: number,
  ty: number, colBase: number, cy: number, cx: number, fill: number, out: Float32Array,
): void {
  const plane = height * width;
  const x0s = new Int32Array(width);
  const fxs = new Float64Array(width);
  for (let x = 0; x < width; x++) {
    const sx = colBase + d * (x - cx);
    x0s[x] = Math.floor(sx);
    fxs[x] = sx - x0s[x];
  }
  for (let y = 0; y < height; y++) {
    const sy = a * (y - cy) + cy + ty;
    const y0 = Math.floor(sy);
    const fy = sy - y0;
    const inY0 = y0 >= 0 && y0 < height;
    const inY1 = y0 + 1 >= 0 && y0 + 1 < height;
    for (let x = 0; x < width; x++) {
      const x0 = x0s[x];
      const fx = fxs[x];
      const o = y * width + x;
      const i00 = y0 * width + x0;
      if (inY0 && inY1 && x0 >= 0 && x0 + 1 < width) {
        for (let k = 0, base = 0; k < channels; k++, base += plane) {
          const p = base + i00;
          out[base + o] = (1 - fy) * ((1 - fx) * src[p] + fx * src[p + 1]) + fy * ((1 - fx) * src[p + width] + fx * src[p + width + 1]);
        }
        continue;
      }
      const inX0 = x0 >= 0 && x0 < width;
      const inX1 = x0 + 1 >= 0 && x0 + 1 < width;
      for (let k = 0, base = 0; k < channels; k++, base += plane) {
        const p = base + i00;
        const v00 = inY0 && inX0 ? src[p] : fill;
        const v01 = inY0 && inX1 ? src[p + 1] : fill;
        const v10 = inY1 && inX0 ? src[p + width] : fill;
        const v11 = inY1 && inX1 ? src[p + width + 1] : fill;
        out[base + o] = (1 - fy) * ((1 - fx) * v00 + fx * v01) + fy * ((1 - fx) * v10 + fx * v11);
      }
    }
  }
}
