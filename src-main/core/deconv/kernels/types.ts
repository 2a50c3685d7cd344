// The kernel contract (DESIGN §1): loops over flat Float32Arrays, writing into the caller's
// buffers. Every kernel except `relu` ADDS into `out`: where forward paths fork, reverse
// contributions meet in one buffer, and accumulating there is what the gradient does.
//
// Per-sample layouts, row-major: a signal is one batch element's tensor ([C, H, W] for maps).
// `box` bounds the positions of `dy` that may be non-zero (inclusive; y1 < y0 means none). Fast
// kernels visit only the box; reference kernels ignore it, which is why the caller must keep
// every non-zero of `dy` inside it.

export interface Box {
  y0: number;
  x0: number;
  y1: number;
  x1: number;
}

export type Dims3 = [number, number, number];

/** Geometry of the forward window op, with padding already resolved (auto_pad applied). */
export interface WindowGeometry {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** Leading pads [top, left]. */
  padBegin: [number, number];
  /** Trailing pads [bottom, right]; AveragePool's count_include_pad counts up to them. */
  padEnd: [number, number];
}

export interface Kernels {
  /** Conv's input gradient: out[C, H, W] += convᵀ(dy[M, OH, OW]) with weights [M, C/group, kh, kw]. */
  convTranspose(dy: Float32Array, dyDims: Dims3, w: Float32Array, wDims: [number, number, number, number], group: number, g: WindowGeometry, out: Float32Array, outDims: Dims3, box: Box): void;
  /**
   * MaxPool's input gradient: out[switches[switchBase + i] − indexBase] += dy[i]. Switches are
   * ONNX Indices, flat over the whole batch N·C·H·W; the bases select one sample.
   */
  maxUnpool(dy: Float32Array, dyDims: Dims3, switches: Int32Array, switchBase: number, indexBase: number, out: Float32Array, box: Box): void;
  /** out = max(x, 0) inside the box (x and out may be the same buffer). */
  relu(x: Float32Array, dims: Dims3, box: Box, out: Float32Array): void;
  /** Gemm/MatMul's input gradient for R rows: out[R, K] += alpha · dy[R, M] · B'ᵀ, B' = transB ? wᵀ : w. */
  gemmTranspose(dy: Float32Array, rows: number, m: number, w: Float32Array, k: number, transB: boolean, alpha: number, out: Float32Array): void;
  /** AveragePool's input gradient: each dy value spread evenly over its window's counted positions. */
  averagePoolBackward(dy: Float32Array, dyDims: Dims3, g: WindowGeometry, countIncludePad: boolean, out: Float32Array, outDims: Dims3, box: Box): void;
  /** GlobalAveragePool's input gradient: out[c, i] += dy[c] / spatial. */
  globalAveragePoolBackward(dy: Float32Array, channels: number, spatial: number, out: Float32Array): void;
  /** Inference BatchNormalization's input gradient: out[c, i] += dy[c, i] · scale[c]; also a squeeze-excitation gate's, scale = g. */
  batchNormalizationScale(dy: Float32Array, channels: number, inner: number, scale: Float32Array, out: Float32Array): void;
  /** Concat's input gradient for one input: out[o, a, i] += dy[o, offset + a, i] for a < length. */
  concatSplit(dy: Float32Array, outer: number, total: number, inner: number, offset: number, length: number, out: Float32Array): void;
  /** A broadcasting op's input gradient: sums dy over the axes `outDims` broadcast (right-aligned, size 1). */
  reduceToShape(dy: Float32Array, dyDims: number[], out: Float32Array, outDims: number[]): void;
  /** Pad's input gradient (a crop): out[c, y, x] += dy[c + begin[0], y + begin[1], x + begin[2]] where that is inside dy. */
  padBackward(dy: Float32Array, dyDims: Dims3, begin: Dims3, out: Float32Array, outDims: Dims3, box: Box): void;
  /** Transpose's input gradient: out[x] += dy[y] where the forward Transpose (per-sample `perm`) moved x to y. */
  transposeBackward(dy: Float32Array, dyDims: number[], perm: number[], out: Float32Array): void;
  /** out += x. */
  sum(x: Float32Array, out: Float32Array): void;
}
