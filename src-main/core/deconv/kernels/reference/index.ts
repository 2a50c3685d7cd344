// Naive twins of the fast kernels: the most obvious loops, straight from each forward op's
// definition, with no bounds arithmetic, no box and no zero skipping. They exist to be obviously
// right; kernels.test.ts runs the same suite over them and over the fast kernels.
import type { Box, Dims3, Kernels, WindowGeometry } from '../types.ts';

/** Conv's forward loop, read backwards: wherever the forward multiplied x by w into y, send dy·w to x. */
function convTranspose(dy: Float32Array, dyDims: Dims3, w: Float32Array, wDims: [number, number, number, number], group: number, g: WindowGeometry, out: Float32Array, outDims: Dims3): void {
  const [M, OH, OW] = dyDims;
  const [, CG, KH, KW] = wDims;
  const [, H, W] = outDims;
  for (let m = 0; m < M; m++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let c = 0; c < CG; c++)
          for (let ky = 0; ky < KH; ky++)
            for (let kx = 0; kx < KW; kx++) {
              const iy = oy * g.strides[0] - g.padBegin[0] + ky * g.dilations[0];
              const ix = ox * g.strides[1] - g.padBegin[1] + kx * g.dilations[1];
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              const ci = Math.floor(m / (M / group)) * CG + c;
              out[(ci * H + iy) * W + ix] += dy[(m * OH + oy) * OW + ox] * w[((m * CG + c) * KH + ky) * KW + kx];
            }
}

function maxUnpool(dy: Float32Array, _dims: Dims3, switches: Int32Array, switchBase: number, indexBase: number, out: Float32Array): void {
  for (let i = 0; i < dy.length; i++) out[switches[switchBase + i] - indexBase] += dy[i];
}

function relu(x: Float32Array, _dims: Dims3, _box: Box, out: Float32Array): void {
  for (let i = 0; i < x.length; i++) out[i] = Math.max(x[i], 0);
}

function gemmTranspose(dy: Float32Array, rows: number, m: number, w: Float32Array, k: number, transB: boolean, alpha: number, out: Float32Array): void {
  for (let r = 0; r < rows; r++)
    for (let i = 0; i < k; i++)
      for (let j = 0; j < m; j++) {
        const wij = transB ? w[j * k + i] : w[i * m + j]; // B'[i, j]
        out[r * k + i] += alpha * dy[r * m + j] * wij;
      }
}

function averagePoolBackward(dy: Float32Array, dyDims: Dims3, g: WindowGeometry, countIncludePad: boolean, out: Float32Array, outDims: Dims3): void {
  const [C, OH, OW] = dyDims;
  const [, H, W] = outDims;
  for (let c = 0; c < C; c++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++) {
        const inside: number[] = [];
        let padded = 0;
        for (let ky = 0; ky < g.kernel[0]; ky++)
          for (let kx = 0; kx < g.kernel[1]; kx++) {
            const iy = oy * g.strides[0] - g.padBegin[0] + ky * g.dilations[0];
            const ix = ox * g.strides[1] - g.padBegin[1] + kx * g.dilations[1];
            if (iy >= -g.padBegin[0] && iy < H + g.padEnd[0] && ix >= -g.padBegin[1] && ix < W + g.padEnd[1]) padded++;
            if (iy >= 0 && iy < H && ix >= 0 && ix < W) inside.push((c * H + iy) * W + ix);
          }
        const count = countIncludePad ? padded : inside.length;
        for (const i of inside) out[i] += dy[(c * OH + oy) * OW + ox] / count;
      }
}

function globalAveragePoolBackward(dy: Float32Array, channels: number, spatial: number, out: Float32Array): void {
  for (let c = 0; c < channels; c++) for (let i = 0; i < spatial; i++) out[c * spatial + i] += dy[c] / spatial;
}

function batchNormalizationScale(dy: Float32Array, channels: number, inner: number, scale: Float32Array, out: Float32Array): void {
  for (let c = 0; c < channels; c++) for (let i = 0; i < inner; i++) out[c * inner + i] += dy[c * inner + i] * scale[c];
}

function concatSplit(dy: Float32Array, outer: number, total: number, inner: number, offset: number, length: number, out: Float32Array): void {
  for (let o = 0; o < outer; o++)
    for (let a = 0; a < length; a++)
      for (let i = 0; i < inner; i++) out[(o * length + a) * inner + i] += dy[(o * total + offset + a) * inner + i];
}

/** For every dy element: its multi-index, clamped to 0 on broadcast axes, is where it lands. */
function reduceToShape(dy: Float32Array, dyDims: number[], out: Float32Array, outDims: number[]): void {
  const lead = dyDims.length - outDims.length;
  for (let i = 0; i < dy.length; i++) {
    let rest = i;
    const index = dyDims.map(() => 0);
    for (let a = dyDims.length - 1; a >= 0; a--) {
      index[a] = rest % dyDims[a];
      rest = Math.floor(rest / dyDims[a]);
    }
    let o = 0;
    for (let b = 0; b < outDims.length; b++) o = o * outDims[b] + (outDims[b] === 1 ? 0 : index[lead + b]);
    out[o] += dy[i];
  }
}

/** Pad's forward copies x[c, y, x] to y[c + begin…]: read it back from there. */
function padBackward(dy: Float32Array, dyDims: Dims3, begin: Dims3, out: Float32Array, outDims: Dims3): void {
  const [C, H, W] = outDims;
  for (let c = 0; c < C; c++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const [sc, sy, sx] = [c + begin[0], y + begin[1], x + begin[2]];
        if (sc < 0 || sc >= dyDims[0] || sy < 0 || sy >= dyDims[1] || sx < 0 || sx >= dyDims[2]) continue;
        out[(c * H + y) * W + x] += dy[(sc * dyDims[1] + sy) * dyDims[2] + sx];
      }
}

/** Transpose's forward reads y[i] from x at the index whose axis perm[a] is i's a-th coordinate: send dy[i] there. */
function transposeBackward(dy: Float32Array, dyDims: number[], perm: number[], out: Float32Array): void {
  const xDims = dyDims.map((_, a) => dyDims[perm.indexOf(a)]);
  for (let i = 0; i < dy.length; i++) {
    let rest = i;
    const y = dyDims.map(() => 0);
    for (let a = dyDims.length - 1; a >= 0; a--) {
      y[a] = rest % dyDims[a];
      rest = Math.floor(rest / dyDims[a]);
    }
    const x = xDims.map(() => 0);
    perm.forEach((p, a) => (x[p] = y[a]));
    out[x.reduce((o, v, b) => o * xDims[b] + v, 0)] += dy[i];
  }
}

function sum(x: Float32Array, out: Float32Array): void {
  for (let i = 0; i < x.length; i++) out[i] += x[i];
}

export const referenceKernels: Kernels = {
  convTranspose,
  maxUnpool,
  relu,
  gemmTranspose,
  averagePoolBackward,
  globalAveragePoolBackward,
  batchNormalizationScale,
  concatSplit,
  padBackward,
  reduceToShape,
  transposeBackward,
  sum,
};
