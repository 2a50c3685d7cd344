// The elementwise and reshaping reverse kernels: GlobalAveragePool, BatchNormalization, Concat,
// Pad, broadcasting joins (Add) and plain accumulation.
import type { Box, Dims3 } from './types.ts';

export function globalAveragePoolBackward(dy: Float32Array, channels: number, spatial: number, out: Float32Array): void {
  for (let c = 0; c < channels; c++) {
    const v = dy[c] / spatial;
    if (v === 0) continue;
    for (let i = c * spatial, end = i + spatial; i < end; i++) out[i] += v;
  }
}

export function batchNormalizationScale(dy: Float32Array, channels: number, inner: number, scale: Float32Array, out: Float32Array): void {
  for (let c = 0; c < channels; c++) {
    const s = scale[c];
    for (let i = c * inner, end = i + inner; i < end; i++) out[i] += dy[i] * s;
  }
}

export function concatSplit(dy: Float32Array, outer: number, total: number, inner: number, offset: number, length: number, out: Float32Array): void {
  const span = length * inner;
  for (let o = 0; o < outer; o++) {
    const src = (o * total + offset) * inner;
    const dst = o * span;
    for (let i = 0; i < span; i++) out[dst + i] += dy[src + i];
  }
}

/** Only the rows and columns of the box that land inside out are visited. */
export function padBackward(dy: Float32Array, dyDims: Dims3, begin: Dims3, out: Float32Array, outDims: Dims3, box: Box): void {
  const [, OH, OW] = dyDims;
  const [C, H, W] = outDims;
  const [bc, by, bx] = begin;
  const c0 = Math.max(0, -bc);
  const c1 = Math.min(C - 1, dyDims[0] - 1 - bc);
  const y0 = Math.max(0, box.y0 - by);
  const y1 = Math.min(H - 1, box.y1 - by, OH - 1 - by);
  const x0 = Math.max(0, box.x0 - bx);
  const x1 = Math.min(W - 1, box.x1 - bx, OW - 1 - bx);
  for (let c = c0; c <= c1; c++) {
    for (let y = y0; y <= y1; y++) {
      const src = ((c + bc) * OH + y + by) * OW + bx;
      const dst = (c * H + y) * W;
      for (let x = x0; x <= x1; x++) out[dst + x] += dy[src + x];
    }
  }
}

/** Walks dy in order with a multi-index counter; broadcast axes of `out` get stride 0. */
export function reduceToShape(dy: Float32Array, dyDims: number[], out: Float32Array, outDims: number[]): void {
  const rank = dyDims.length;
  const strides = new Array<number>(rank).fill(0);
  for (let a = rank - 1, s = 1, b = outDims.length - 1; a >= 0 && b >= 0; a--, b--) {
    strides[a] = outDims[b] === 1 && dyDims[a] !== 1 ? 0 : s;
    s *= outDims[b];
  }
  const index = new Array<number>(rank).fill(0);
  let o = 0;
  for (let i = 0; i < dy.length; i++) {
    out[o] += dy[i];
    for (let a = rank - 1; a >= 0; a--) {
      o += strides[a];
      if (++index[a] < dyDims[a]) break;
      o -= strides[a] * dyDims[a];
      index[a] = 0;
    }
  }
}

export function sum(x: Float32Array, out: Float32Array): void {
  for (let i = 0; i < x.length; i++) out[i] += x[i];
}
