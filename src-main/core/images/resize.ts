// Resampling of HWC images in float.
//
// Bilinear is PyTorch's `F.interpolate(mode='bilinear', align_corners=False, antialias=False)`:
// half-pixel centres, output index d samples source coordinate (d + 0.5)·in/out − 0.5, clamped
// to the image. The demo models were trained on 28×28 images upscaled to 64×64 exactly that way,
// and a model sees a shifted or blurred input as a different input, so matching it matters more
// than any nicer filter. Pixel values stay in float throughout: rounding back to 8 bits between
// resizing and normalising would add noise the training pipeline never had.
//
// Plain bilinear only looks at the 2×2 nearest source pixels, so shrinking a large photo by more
// than 2× would alias (skip pixels). Then an integer area-average (box filter) comes first, and
// bilinear finishes the remaining factor, which is below 2 and touches every source pixel.

/** For each output index along one axis: the two source indices and their weights. */
export interface AxisPlan {
  i0: Int32Array;
  i1: Int32Array;
  w0: Float64Array;
  w1: Float64Array;
}

/**
 * Sampling plan of one axis. Output index d samples source coordinate
 * `(d + offset + 0.5)·scale − 0.5` (scale = source pixels per output pixel), clamped to
 * [0, inSize − 1] — PyTorch's `area_pixel_compute_source_index` for align_corners=False, where
 * the upper clamp changes nothing (the last row already gets both weights on one pixel).
 */
export function planAxis(inSize: number, outSize: number, scale: number, offset = 0): AxisPlan {
  const plan: AxisPlan = {
    i0: new Int32Array(outSize),
    i1: new Int32Array(outSize),
    w0: new Float64Array(outSize),
    w1: new Float64Array(outSize),
  };
  const last = inSize - 1;
  for (let d = 0; d < outSize; d++) {
    let src = (d + offset + 0.5) * scale - 0.5;
    if (src < 0) src = 0;
    if (src > last) src = last;
    const i0 = Math.floor(src);
    const l1 = src - i0;
    plan.i0[d] = i0;
    plan.i1[d] = i0 < last ? i0 + 1 : i0;
    plan.w0[d] = 1 - l1;
    plan.w1[d] = l1;
  }
  return plan;
}

/** Bilinear kernel: writes `out` (plans' lengths, HWC) from `src` (h × w × c, HWC). No allocation. */
export function bilinearInto(
  src: Float32Array | Uint8Array, w: number, c: number,
  py: AxisPlan, px: AxisPlan, out: Float32Array,
): void {
  const outH = py.i0.length;
  const outW = px.i0.length;
  const rowStride = w * c;
  let o = 0;
  for (let y = 0; y < outH; y++) {
    const r0 = py.i0[y] * rowStride;
    const r1 = py.i1[y] * rowStride;
    const wy0 = py.w0[y];
    const wy1 = py.w1[y];
    for (let x = 0; x < outW; x++) {
      const c0 = px.i0[x] * c;
      const c1 = px.i1[x] * c;
      const wx0 = px.w0[x];
      const wx1 = px.w1[x];
      for (let k = 0; k < c; k++) {
        // Same grouping as PyTorch's kernel: rows first, then columns.
        out[o++] =
          wy0 * (wx0 * src[r0 + c0 + k] + wx1 * src[r0 + c1 + k]) +
          wy1 * (wx0 * src[r1 + c0 + k] + wx1 * src[r1 + c1 + k]);
      }
    }
  }
}

/** Plain bilinear resize, exactly PyTorch's `F.interpolate(bilinear, align_corners=False, antialias=False)` (in float64 arithmetic). */
export function resizeBilinear(
  src: Float32Array | Uint8Array, h: number, w: number, c: number, outH: number, outW: number,
): Float32Array {
  checkSizes(src, h, w, c, outH, outW);
  const out = new Float32Array(outH * outW * c);
  bilinearInto(src, w, c, planAxis(h, outH, h / outH), planAxis(w, outW, w / outW), out);
  return out;
}

/**
 * Area-average by integer factors (fy, fx): output pixel (y, x) is the mean of the source block
 * [y·fy, (y+1)·fy) × [x·fx, (x+1)·fx). Output is ⌊h/fy⌋ × ⌊w/fx⌋; the < f leftover rows/columns
 * at the bottom/right are dropped (callers keep the geometry exact, see `resampleRegion`).
 */
export function boxReduce(
  src: Float32Array | Uint8Array, h: number, w: number, c: number, fy: number, fx: number,
): { data: Float32Array; height: number; width: number } {
  const height = Math.floor(h / fy);
  const width = Math.floor(w / fx);
  const data = new Float32Array(height * width * c);
  const acc = new Float64Array(width * c);
  const inv = 1 / (fy * fx);
  for (let y = 0; y < height; y++) {
    acc.fill(0);
    for (let sy = y * fy; sy < (y + 1) * fy; sy++) {
      let s = sy * w * c;
      for (let x = 0; x < width; x++) {
        const a = x * c;
        for (let sx = 0; sx < fx; sx++) {
          for (let k = 0; k < c; k++) acc[a + k] += src[s++];
        }
      }
    }
    const o = y * width * c;
    for (let i = 0; i < width * c; i++) data[o + i] = acc[i] * inv;
  }
  return { data, height, width };
}

/** A view of the source image resized to scaledH × scaledW, of which rows [top, top+outH) and columns [left, left+outW) are wanted. */
export interface ResampleRegion {
  scaledH: number;
  scaledW: number;
  top: number;
  left: number;
  outH: number;
  outW: number;
}

/** The integer box-filter factor used before bilinear when an axis shrinks by `ratio` (source/output): 1 up to 2×, else ⌊ratio⌋. */
export function boxFactor(ratio: number): number {
  return ratio > 2 ? Math.floor(ratio) : 1;
}

/**
 * Resize-then-crop in one pass, without materialising the full resized image (a panorama
 * fitted by its short side would be huge). Equals resizing to scaledH × scaledW with
 * `resizeImage` and cutting the region out.
 */
export function resampleRegion(
  src: Float32Array | Uint8Array, h: number, w: number, c: number, r: ResampleRegion,
): Float32Array {
  checkSizes(src, h, w, c, r.scaledH, r.scaledW);
  if (r.outH < 1 || r.outW < 1 || r.top < 0 || r.left < 0 || r.top + r.outH > r.scaledH || r.left + r.outW > r.scaledW) {
    throw new RangeError(`region ${r.outH}×${r.outW} at (${r.top}, ${r.left}) does not fit in ${r.scaledH}×${r.scaledW}`);
  }
  const ratioY = h / r.scaledH;
  const ratioX = w / r.scaledW;
  const fy = boxFactor(ratioY);
  const fx = boxFactor(ratioX);
  let data = src;
  let hh = h;
  let ww = w;
  if (fy > 1 || fx > 1) {
    const reduced = boxReduce(src, h, w, c, fy, fx);
    data = reduced.data;
    hh = reduced.height;
    ww = reduced.width;
  }
  // Scales are measured against the original size, not the reduced one: reduced pixel j covers
  // source [j·f, (j+1)·f), so coordinates stay exact even when h is not a multiple of f.
  const py = planAxis(hh, r.outH, ratioY / fy, r.top);
  const px = planAxis(ww, r.outW, ratioX / fx, r.left);
  const out = new Float32Array(r.outH * r.outW * c);
  bilinearInto(data, ww, c, py, px, out);
  return out;
}

/** Resize for model input: bilinear as PyTorch, with an area-average first when shrinking by more than 2×. */
export function resizeImage(
  src: Float32Array | Uint8Array, h: number, w: number, c: number, outH: number, outW: number,
): Float32Array {
  return resampleRegion(src, h, w, c, { scaledH: outH, scaledW: outW, top: 0, left: 0, outH, outW });
}

function checkSizes(src: ArrayLike<number>, h: number, w: number, c: number, outH: number, outW: number): void {
  for (const [name, v] of [['h', h], ['w', w], ['c', c], ['outH', outH], ['outW', outW]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`resize: ${name} must be a positive integer, got ${v}`);
  }
  if (src.length !== h * w * c) throw new RangeError(`resize: source has ${src.length} values, expected ${h}×${w}×${c} = ${h * w * c}`);
}
