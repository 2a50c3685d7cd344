// Naive NCHW references for the onnx/ tests: written from the ONNX op definitions, independently
// of the builder's and receptive-field code, to check both against onnxruntime.

export interface Window2d {
  kernel: [number, number];
  stride?: [number, number];
  /** [y_begin, x_begin, y_end, x_end] */
  pads?: [number, number, number, number];
  dilation?: [number, number];
  ceilMode?: boolean;
}

/** Output length along one axis, as PyTorch defines it (the last window starts inside input or left pad). */
export function outLength(n: number, k: number, s: number, d: number, pb: number, pe: number, ceil = false): number {
  const span = n + pb + pe - (d * (k - 1) + 1);
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (out - 1) * s >= n + pb) out--;
  return out;
}

function geometry(dims: number[], w: Window2d) {
  const [, , H, W] = dims;
  const [sy, sx] = w.stride ?? [1, 1];
  const [dy, dx] = w.dilation ?? [1, 1];
  const [pt, pl, pb, pr] = w.pads ?? [0, 0, 0, 0];
  const [kh, kw] = w.kernel;
  const OH = outLength(H, kh, sy, dy, pt, pb, w.ceilMode);
  const OW = outLength(W, kw, sx, dx, pl, pr, w.ceilMode);
  return { H, W, sy, sx, dy, dx, pt, pl, kh, kw, OH, OW };
}

/** Conv with weights [M, C/groups, kh, kw]. */
export function conv2d(x: Float32Array, dims: number[], w: Float32Array, M: number, bias: Float32Array | null, win: Window2d, groups = 1): { y: Float32Array; dims: number[] } {
  const [N, C] = dims;
  const g = geometry(dims, win);
  const cg = C / groups;
  const mg = M / groups;
  const y = new Float32Array(N * M * g.OH * g.OW);
  for (let n = 0; n < N; n++)
    for (let m = 0; m < M; m++)
      for (let oy = 0; oy < g.OH; oy++)
        for (let ox = 0; ox < g.OW; ox++) {
          let acc = bias ? bias[m] : 0;
          const grp = Math.floor(m / mg);
          for (let c = 0; c < cg; c++)
            for (let ky = 0; ky < g.kh; ky++)
              for (let kx = 0; kx < g.kw; kx++) {
                const iy = oy * g.sy - g.pt + ky * g.dy;
                const ix = ox * g.sx - g.pl + kx * g.dx;
                if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) continue;
                const xc = grp * cg + c;
                acc += x[((n * C + xc) * g.H + iy) * g.W + ix] * w[((m * cg + c) * g.kh + ky) * g.kw + kx];
              }
          y[((n * M + m) * g.OH + oy) * g.OW + ox] = acc;
        }
  return { y, dims: [N, M, g.OH, g.OW] };
}

/** MaxPool with ONNX's Indices: flat over N·C·H·W of x; the first maximum in window order wins. */
export function maxPoolArgmax(x: Float32Array, dims: number[], win: Window2d): { y: Float32Array; indices: BigInt64Array; dims: number[] } {
  const [N, C] = dims;
  const g = geometry(dims, win);
  const y = new Float32Array(N * C * g.OH * g.OW);
  const indices = new BigInt64Array(y.length);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let oy = 0; oy < g.OH; oy++)
        for (let ox = 0; ox < g.OW; ox++) {
          let best = -Infinity;
          let at = -1;
          for (let ky = 0; ky < g.kh; ky++)
            for (let kx = 0; kx < g.kw; kx++) {
              const iy = oy * g.sy - g.pt + ky * g.dy;
              const ix = ox * g.sx - g.pl + kx * g.dx;
              if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) continue;
              const i = ((n * C + c) * g.H + iy) * g.W + ix;
              if (x[i] > best) {
                best = x[i];
                at = i;
              }
            }
          const o = ((n * C + c) * g.OH + oy) * g.OW + ox;
          y[o] = best;
          indices[o] = BigInt(at);
        }
  return { y, indices, dims: [N, C, g.OH, g.OW] };
}

export function relu(x: Float32Array): Float32Array {
  return x.map((v) => (v > 0 ? v : 0));
}

/** y = x·Wᵀ + b with W [M, K] (Gemm transB = 1). */
export function gemm(x: Float32Array, N: number, K: number, w: Float32Array, M: number, b: Float32Array | null): Float32Array {
  const y = new Float32Array(N * M);
  for (let n = 0; n < N; n++)
    for (let m = 0; m < M; m++) {
      let acc = b ? b[m] : 0;
      for (let k = 0; k < K; k++) acc += x[n * K + k] * w[m * K + k];
      y[n * M + m] = acc;
    }
  return y;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}
