// One suite over both kernel sets (DESIGN §1). Each reverse kernel is checked as the adjoint of
// an independent forward: onnxruntime where the op has one, the naive forward of core/onnx's
// tests otherwise. Then the fast kernels must equal the naive ones when a box holds the signal.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../onnx/builder.ts';
import { seededRandom } from '../../onnx/seeded-random.ts';
import { conv2d, outLength } from '../../onnx/testing/naive.ts';
import { describeMismatch, dot, firstMismatch, randomArray } from '../testing.ts';
import { fastKernels, referenceKernels } from './index.ts';
import type { Box, Dims3, Kernels, WindowGeometry } from './types.ts';

type Pair = [number, number];
type Pads = [number, number, number, number];

async function runOrt(bytes: Uint8Array, x: Float32Array, dims: number[]): Promise<ort.InferenceSession.ReturnType> {
  const s = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  try {
    return await s.run({ x: new ort.Tensor('float32', x, dims) });
  } finally {
    await s.release();
  }
}

const toInt32 = (t: ort.Tensor) => Int32Array.from(t.data as BigInt64Array, (v) => Number(v));

function expectAdjoint(lhs: { value: number; scale: number }, rhs: { value: number; scale: number }, what: string): void {
  const tol = 1e-5 * Math.max(lhs.scale, rhs.scale, 1e-12);
  expect(Math.abs(lhs.value - rhs.value), `${what}: ${lhs.value} vs ${rhs.value}`).toBeLessThanOrEqual(tol);
}

const whole = (d: Dims3): Box => ({ y0: 0, x0: 0, y1: d[1] - 1, x1: d[2] - 1 });

interface ConvCase {
  C: number;
  M: number;
  group: number;
  kernel: Pair;
  strides: Pair;
  dilations: Pair;
  pads: Pads;
  H: number;
  W: number;
  OH: number;
  OW: number;
}

function randomConv(rnd: () => number): ConvCase {
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  for (;;) {
    const group = int(1, 3);
    const kernel: Pair = [int(1, 5), int(1, 5)];
    const strides: Pair = [int(1, 3), int(1, 3)];
    const dilations: Pair = [int(1, 3), int(1, 3)];
    const pads: Pads = [int(0, 3), int(0, 3), int(0, 3), int(0, 3)];
    const H = int(1, 14);
    const W = int(1, 14);
    const OH = outLength(H, kernel[0], strides[0], dilations[0], pads[0], pads[2]);
    const OW = outLength(W, kernel[1], strides[1], dilations[1], pads[1], pads[3]);
    if (OH >= 1 && OW >= 1) return { C: group * int(1, 3), M: group * int(1, 3), group, kernel, strides, dilations, pads, H, W, OH, OW };
  }
}

const geometry = (c: { kernel: Pair; strides: Pair; dilations: Pair; pads: Pads }): WindowGeometry => ({
  kernel: c.kernel,
  strides: c.strides,
  dilations: c.dilations,
  padBegin: [c.pads[0], c.pads[1]],
  padEnd: [c.pads[2], c.pads[3]],
});

/** dy zero outside a random box, and that box. */
function boxedSignal(dims: Dims3, seed: number): { dy: Float32Array; box: Box } {
  const rnd = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const y0 = int(0, dims[1] - 1);
  const x0 = int(0, dims[2] - 1);
  const box = { y0, x0, y1: int(y0, dims[1] - 1), x1: int(x0, dims[2] - 1) };
  const dy = randomArray(dims[0] * dims[1] * dims[2], seed + 1, 0.3);
  for (let c = 0; c < dims[0]; c++)
    for (let y = 0; y < dims[1]; y++)
      for (let x = 0; x < dims[2]; x++) if (y < box.y0 || y > box.y1 || x < box.x0 || x > box.x1) dy[(c * dims[1] + y) * dims[2] + x] = 0;
  return { dy, box };
}

const impls: [string, Kernels][] = [
  ['fast', fastKernels],
  ['reference', referenceKernels],
];

describe.each(impls)('%s kernels', (_name, k) => {
  it('convTranspose is the adjoint of Conv, ⟨conv(x), y⟩ = ⟨x, convT(y)⟩, over random strides, pads, dilations, groups', () => {
    const rnd = seededRandom(11);
    for (let t = 0; t < 60; t++) {
      const c = randomConv(rnd);
      const cg = c.C / c.group;
      const x = randomArray(c.C * c.H * c.W, 100 + t);
      const w = randomArray(c.M * cg * c.kernel[0] * c.kernel[1], 200 + t);
      const y = randomArray(c.M * c.OH * c.OW, 300 + t);
      const fwd = conv2d(x, [1, c.C, c.H, c.W], w, c.M, null, { kernel: c.kernel, stride: c.strides, dilation: c.dilations, pads: c.pads }, c.group);
      expect(fwd.dims).toEqual([1, c.M, c.OH, c.OW]);
      const back = new Float32Array(x.length);
      const dyDims: Dims3 = [c.M, c.OH, c.OW];
      k.convTranspose(y, dyDims, w, [c.M, cg, c.kernel[0], c.kernel[1]], c.group, geometry(c), back, [c.C, c.H, c.W], whole(dyDims));
      expectAdjoint(dot(fwd.y, y), dot(x, back), `case ${t} ${JSON.stringify(c)}`);
    }
  });

  it('convTranspose is the adjoint of onnxruntime\'s Conv (asymmetric pads, dilation, groups)', async () => {
    const cases: Omit<ConvCase, 'OH' | 'OW'>[] = [
      { C: 3, M: 4, group: 1, kernel: [7, 7], strides: [2, 2], dilations: [1, 1], pads: [3, 3, 3, 3], H: 23, W: 19 },
      { C: 4, M: 6, group: 2, kernel: [3, 2], strides: [1, 3], dilations: [2, 1], pads: [0, 2, 1, 0], H: 11, W: 13 },
      { C: 6, M: 3, group: 3, kernel: [5, 3], strides: [3, 2], dilations: [1, 2], pads: [2, 1, 0, 3], H: 17, W: 9 },
    ];
    for (const [t, c] of cases.entries()) {
      const cg = c.C / c.group;
      const w = randomArray(c.M * cg * c.kernel[0] * c.kernel[1], 40 + t);
      const b = new GraphBuilder();
      const h = b.conv(b.input('x', [1, c.C, c.H, c.W]), { outChannels: c.M, kernel: c.kernel, stride: c.strides, dilation: c.dilations, pad: c.pads, groups: c.group, bias: false, weights: w });
      b.output(h);
      const x = randomArray(c.C * c.H * c.W, 50 + t);
      const y = (await runOrt(b.build(), x, [1, c.C, c.H, c.W]))[h];
      const dyDims = y.dims.slice(1) as Dims3;
      const g = randomArray(y.data.length, 60 + t);
      const back = new Float32Array(x.length);
      k.convTranspose(g, dyDims, w, [c.M, cg, c.kernel[0], c.kernel[1]], c.group, geometry(c), back, [c.C, c.H, c.W], whole(dyDims));
      expectAdjoint(dot(y.data as Float32Array, g), dot(x, back), `ORT case ${t}`);
    }
  });

  it('maxUnpool: pool(unpool(pool x)) = pool x, with switches from onnxruntime, for every sample of a batch', async () => {
    const configs: { kernel: Pair; stride: Pair; pad: Pads; ceilMode: boolean }[] = [
      { kernel: [2, 2], stride: [2, 2], pad: [0, 0, 0, 0], ceilMode: false },
      { kernel: [3, 2], stride: [3, 2], pad: [1, 0, 0, 1], ceilMode: true },
      { kernel: [2, 3], stride: [3, 4], pad: [0, 1, 1, 1], ceilMode: false },
    ];
    const [N, C, H, W] = [2, 3, 13, 11];
    for (const [t, cfg] of configs.entries()) {
      const b = new GraphBuilder();
      b.maxPool(b.input('x', [N, C, H, W]), { ...cfg, indices: true, name: 'pool' });
      b.output('pool');
      b.output('pool_1');
      const bytes = b.build();
      // Post-ReLU values: non-negative, with ties at zero that exercise ORT's tie-breaking.
      const x = randomArray(N * C * H * W, 70 + t).map((v) => Math.max(v, 0));
      const first = await runOrt(bytes, x, [N, C, H, W]);
      const y = first.pool.data as Float32Array;
      const sw = toInt32(first.pool_1);
      const dyDims = first.pool.dims.slice(1) as Dims3;
      const per = dyDims[0] * dyDims[1] * dyDims[2];
      const unpooled = new Float32Array(x.length);
      for (let n = 0; n < N; n++) {
        const out = unpooled.subarray(n * C * H * W, (n + 1) * C * H * W);
        k.maxUnpool(y.subarray(n * per, (n + 1) * per), dyDims, sw, n * per, n * C * H * W, out, whole(dyDims));
      }
      const again = (await runOrt(bytes, unpooled, [N, C, H, W])).pool.data as Float32Array;
      expect(firstMismatch(again, y, 0, 0), `config ${t}: ${describeMismatch(again, y, 0, 0)}`).toBe(-1);
    }
  });

  it('maxUnpool is the adjoint of onnxruntime\'s MaxPool at its switches (overlapping 3/2 windows, padding)', async () => {
    const [N, C, H, W] = [2, 4, 15, 12];
    const b = new GraphBuilder();
    b.maxPool(b.input('x', [N, C, H, W]), { kernel: 3, stride: 2, pad: 1, indices: true, name: 'pool' });
    b.output('pool');
    b.output('pool_1');
    const x = randomArray(N * C * H * W, 80);
    const r = await runOrt(b.build(), x, [N, C, H, W]);
    const dyDims = r.pool.dims.slice(1) as Dims3;
    const per = dyDims[0] * dyDims[1] * dyDims[2];
    const sw = toInt32(r.pool_1);
    for (let n = 0; n < N; n++) {
      const g = randomArray(per, 81 + n);
      const back = new Float32Array(C * H * W);
      k.maxUnpool(g, dyDims, sw, n * per, n * C * H * W, back, whole(dyDims));
      const y = (r.pool.data as Float32Array).subarray(n * per, (n + 1) * per);
      expectAdjoint(dot(y, g), dot(x.subarray(n * C * H * W, (n + 1) * C * H * W), back), `sample ${n}`);
    }
  });

  it('gemmTranspose is the adjoint of Gemm (transB 0 and 1, alpha, several rows)', () => {
    for (const [t, [rows, K, M, transB, alpha]] of ([[1, 7, 5, true, 1], [3, 4, 9, false, 1], [2, 6, 6, true, 0.5], [4, 3, 8, false, -2]] as const).entries()) {
      const x = randomArray(rows * K, 90 + t);
      const w = randomArray(K * M, 91 + t);
      const Bp = (i: number, j: number) => (transB ? w[j * K + i] : w[i * M + j]);
      const y = new Float64Array(rows * M);
      for (let r = 0; r < rows; r++) for (let j = 0; j < M; j++) for (let i = 0; i < K; i++) y[r * M + j] += alpha * x[r * K + i] * Bp(i, j);
      const g = randomArray(rows * M, 92 + t);
      const back = new Float32Array(rows * K);
      k.gemmTranspose(g, rows, M, w, K, transB, alpha, back);
      expectAdjoint(dot(y, g), dot(x, back), `case ${t}`);
    }
  });

  it('averagePoolBackward is the adjoint of onnxruntime\'s AveragePool (count_include_pad 0/1, ceil_mode, asymmetric pads)', async () => {
    const rnd = seededRandom(12);
    const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
    // First, ceil_mode windows that hang past the trailing pad: ORT counts only the positions
    // inside the padded extent (1×6, k3 s2 p1 gives divisors 3, 3, 3, 2).
    const fixed: [Pair, Pair, Pads, number, number][] = [
      [[3, 3], [2, 2], [1, 1, 1, 1], 6, 6],
      [[2, 3], [2, 3], [0, 1, 0, 1], 5, 7],
      [[3, 2], [3, 2], [1, 0, 0, 1], 7, 6],
    ];
    for (let t = 0; t < 22; t++) {
      const f = t >= 16 ? fixed[(t - 16) >> 1] : undefined;
      const kernel: Pair = f ? f[0] : [int(1, 4), int(1, 4)];
      const stride: Pair = f ? f[1] : [int(1, 3), int(1, 3)];
      const pad: Pads = f ? f[2] : [int(0, kernel[0] - 1), int(0, kernel[1] - 1), int(0, kernel[0] - 1), int(0, kernel[1] - 1)];
      const ceilMode = f ? true : t % 2 === 1;
      const countIncludePad = f ? t % 2 === 0 : t % 4 >= 2;
      const [C, H, W] = f ? [2, f[3], f[4]] : [2, int(kernel[0], 12), int(kernel[1], 12)];
      const b = new GraphBuilder();
      b.output(b.averagePool(b.input('x', [1, C, H, W]), { kernel, stride, pad, ceilMode, countIncludePad, name: 'avg' }));
      const x = randomArray(C * H * W, 120 + t);
      const y = (await runOrt(b.build(), x, [1, C, H, W])).avg;
      const dyDims = y.dims.slice(1) as Dims3;
      const g = randomArray(y.data.length, 140 + t);
      const back = new Float32Array(x.length);
      const geo = geometry({ kernel, strides: stride, dilations: [1, 1], pads: pad });
      k.averagePoolBackward(g, dyDims, geo, countIncludePad, back, [C, H, W], whole(dyDims));
      expectAdjoint(dot(y.data as Float32Array, g), dot(x, back), `case ${t} ${JSON.stringify({ kernel, stride, pad, ceilMode, countIncludePad, H, W })}`);
    }
  });

  it('averagePoolBackward with dilations is the adjoint of onnxruntime\'s AveragePool-19', async () => {
    for (const [t, countIncludePad] of [false, true].entries()) {
      const [C, H, W] = [2, 11, 10];
      const attrs = { kernel_shape: [3, 2], strides: [2, 1], dilations: [2, 3], pads: [1, 0, 2, 1], count_include_pad: countIncludePad ? 1 : 0 };
      const b = new GraphBuilder({ opset: 19 });
      const x0 = b.input('x', [1, C, H, W]);
      b.output(b.node('AveragePool', [x0], attrs, 1, { name: 'avg' })[0]);
      const x = randomArray(C * H * W, 160 + t);
      const y = (await runOrt(b.build(), x, [1, C, H, W])).avg;
      const dyDims = y.dims.slice(1) as Dims3;
      const g = randomArray(y.data.length, 170 + t);
      const back = new Float32Array(x.length);
      k.averagePoolBackward(g, dyDims, geometry({ kernel: [3, 2], strides: [2, 1], dilations: [2, 3], pads: [1, 0, 2, 1] }), countIncludePad, back, [C, H, W], whole(dyDims));
      expectAdjoint(dot(y.data as Float32Array, g), dot(x, back), `count_include_pad ${countIncludePad}`);
    }
  });

  it('globalAveragePoolBackward is the adjoint of onnxruntime\'s GlobalAveragePool', async () => {
    const [C, H, W] = [5, 7, 6];
    const b = new GraphBuilder();
    b.output(b.globalAveragePool(b.input('x', [1, C, H, W]), 'gap'));
    const x = randomArray(C * H * W, 180);
    const y = (await runOrt(b.build(), x, [1, C, H, W])).gap.data as Float32Array;
    const g = randomArray(C, 181);
    const back = new Float32Array(x.length);
    k.globalAveragePoolBackward(g, C, H * W, back);
    expectAdjoint(dot(y, g), dot(x, back), 'gap');
  });

  it('batchNormalizationScale multiplies each channel by its scale, adding into out', () => {
    const [C, inner] = [3, 5];
    const dy = randomArray(C * inner, 190);
    const scale = Float32Array.from([0.5, -2, 3]);
    const out = randomArray(C * inner, 191);
    const expected = out.map((v, i) => v + dy[i] * scale[Math.floor(i / inner)]);
    k.batchNormalizationScale(dy, C, inner, scale, out);
    expect(firstMismatch(out, expected, 1e-7, 1e-6)).toBe(-1);
  });

  it('concatSplit is the adjoint of Concat along any axis', () => {
    const dims = [2, 3, 4]; // outer, along, inner for axis 1 of [2, Σ, 4]
    const parts = [3, 1, 2];
    const total = parts.reduce((a, b) => a + b, 0);
    const xs = parts.map((len, i) => randomArray(dims[0] * len * dims[2], 200 + i));
    const y = new Float32Array(dims[0] * total * dims[2]);
    let off = 0;
    parts.forEach((len, i) => {
      for (let o = 0; o < dims[0]; o++) for (let a = 0; a < len; a++) for (let j = 0; j < dims[2]; j++) y[(o * total + off + a) * dims[2] + j] = xs[i][(o * len + a) * dims[2] + j];
      off += len;
    });
    const g = randomArray(y.length, 210);
    let rhs = 0;
    off = 0;
    parts.forEach((len, i) => {
      const back = new Float32Array(xs[i].length);
      k.concatSplit(g, dims[0], total, dims[2], off, len, back);
      rhs += dot(xs[i], back).value;
      off += len;
    });
    expect(Math.abs(dot(y, g).value - rhs)).toBeLessThan(1e-4);
  });

  it('reduceToShape is the adjoint of broadcasting (right-aligned, size-1 axes, missing leading axes)', () => {
    const big = [3, 4, 5];
    for (const [t, small] of [[3, 1, 5], [1, 4, 1], [5], [4, 1], [3, 4, 5], [1]].entries()) {
      const x = randomArray(small.reduce((a, b) => a * b, 1), 220 + t);
      const lead = big.length - small.length;
      const y = new Float32Array(60);
      for (let i = 0; i < 60; i++) {
        const idx = [Math.floor(i / 20), Math.floor(i / 5) % 4, i % 5];
        let o = 0;
        small.forEach((d, b) => (o = o * d + (d === 1 ? 0 : idx[lead + b])));
        y[i] = x[o];
      }
      const g = randomArray(60, 230 + t);
      const back = new Float32Array(x.length);
      k.reduceToShape(g, big, back, small);
      expectAdjoint(dot(y, g), dot(x, back), `to [${small.join(', ')}]`);
    }
  });

  it('padBackward is the adjoint of onnxruntime\'s Pad, negative pads (crops) included', async () => {
    const [C, H, W] = [3, 6, 7];
    for (const [t, pads] of [[0, 1, 2, 0, 0, 0, 1, 3], [0, 0, -1, 2, 0, 2, 0, -3], [0, -1, 0, 0, 0, 1, 0, 0]].entries()) {
      const b = new GraphBuilder();
      const x0 = b.input('x', [1, C, H, W]);
      const p = b.int64Initializer('pads', [8], pads);
      b.output(b.node('Pad', [x0, p], { mode: 'constant' }, 1, { name: 'pad' })[0]);
      const x = randomArray(C * H * W, 250 + t);
      const y = (await runOrt(b.build(), x, [1, C, H, W])).pad;
      const dyDims = y.dims.slice(1) as Dims3;
      const g = randomArray(y.data.length, 260 + t);
      const back = new Float32Array(x.length);
      k.padBackward(g, dyDims, [pads[1], pads[2], pads[3]], back, [C, H, W], whole(dyDims));
      expectAdjoint(dot(y.data as Float32Array, g), dot(x, back), `pads [${pads}]`);
    }
  });

  it('transposeBackward undoes onnxruntime\'s Transpose exactly, adding into out (tf2onnx\'s NCHW → NHWC among the perms)', async () => {
    for (const [t, dims] of [[3, 4, 5], [3, 4, 5], [2, 3, 4], [2, 3, 4, 5]].entries()) {
      const perm = [[1, 2, 0], [2, 0, 1], [0, 2, 1], [3, 1, 0, 2]][t];
      const b = new GraphBuilder();
      b.output(b.node('Transpose', [b.input('x', [1, ...dims])], { perm: [0, ...perm.map((a) => a + 1)] }, 1, { name: 'tr' })[0]);
      const x = randomArray(dims.reduce((m, d) => m * d, 1), 270 + t);
      const y = (await runOrt(b.build(), x, [1, ...dims])).tr;
      const base = randomArray(x.length, 280 + t);
      const out = base.slice();
      k.transposeBackward(y.data as Float32Array, y.dims.slice(1) as number[], perm, out);
      const expected = base.map((v, i) => v + x[i]);
      expect(firstMismatch(out, expected, 0, 0), `perm [${perm}]: ${describeMismatch(out, expected, 0, 0)}`).toBe(-1);
    }
  });

  it('relu rectifies in place inside the box', () => {
    const d: Dims3 = [2, 3, 4];
    const x = randomArray(24, 240);
    const expected = x.map((v) => Math.max(v, 0));
    k.relu(x, d, whole(d), x);
    expect(Array.from(x)).toEqual(Array.from(expected));
  });
});

describe('fast kernels against their naive twins', () => {
  it('convTranspose: a box around every non-zero of dy gives the full result', () => {
    const rnd = seededRandom(13);
    for (let t = 0; t < 40; t++) {
      const c = randomConv(rnd);
      const cg = c.C / c.group;
      const dyDims: Dims3 = [c.M, c.OH, c.OW];
      const { dy, box } = boxedSignal(dyDims, 400 + t);
      const w = randomArray(c.M * cg * c.kernel[0] * c.kernel[1], 500 + t);
      const start = randomArray(c.C * c.H * c.W, 600 + t); // kernels add into what is there
      const [fast, ref] = [start.slice(), start.slice()];
      fastKernels.convTranspose(dy, dyDims, w, [c.M, cg, ...c.kernel], c.group, geometry(c), fast, [c.C, c.H, c.W], box);
      referenceKernels.convTranspose(dy, dyDims, w, [c.M, cg, ...c.kernel], c.group, geometry(c), ref, [c.C, c.H, c.W], whole(dyDims));
      expect(firstMismatch(fast, ref, 1e-6, 1e-5), `case ${t}: ${describeMismatch(fast, ref, 1e-6, 1e-5)}`).toBe(-1);
    }
  });

  it('averagePoolBackward and relu: a box around every non-zero gives the full result', () => {
    const rnd = seededRandom(14);
    for (let t = 0; t < 30; t++) {
      const c = randomConv(rnd);
      const dyDims: Dims3 = [c.C, c.OH, c.OW];
      const { dy, box } = boxedSignal(dyDims, 700 + t);
      const include = t % 2 === 0;
      const [fast, ref] = [new Float32Array(c.C * c.H * c.W), new Float32Array(c.C * c.H * c.W)];
      fastKernels.averagePoolBackward(dy, dyDims, geometry(c), include, fast, [c.C, c.H, c.W], box);
      referenceKernels.averagePoolBackward(dy, dyDims, geometry(c), include, ref, [c.C, c.H, c.W], whole(dyDims));
      expect(firstMismatch(fast, ref, 1e-6, 1e-5), `case ${t}: ${describeMismatch(fast, ref, 1e-6, 1e-5)}`).toBe(-1);
      const [rf, rr] = [dy.slice(), dy.slice()];
      fastKernels.relu(rf, dyDims, box, rf);
      referenceKernels.relu(rr, dyDims, whole(dyDims), rr);
      expect(Array.from(rf)).toEqual(Array.from(rr));
    }
  });

  it('padBackward: a box around every non-zero gives the full result', () => {
    for (let t = 0; t < 10; t++) {
      const begin: Dims3 = [t % 2, (t % 5) - 2, 3 - (t % 4)];
      const outDims: Dims3 = [3, 9, 8];
      const dyDims: Dims3 = [outDims[0] + begin[0], outDims[1] + begin[1] + 1, outDims[2] + begin[2] - 1];
      const { dy, box } = boxedSignal(dyDims, 900 + t);
      const [fast, ref] = [new Float32Array(3 * 9 * 8), new Float32Array(3 * 9 * 8)];
      fastKernels.padBackward(dy, dyDims, begin, fast, outDims, box);
      referenceKernels.padBackward(dy, dyDims, begin, ref, outDims, whole(dyDims));
      expect(Array.from(fast)).toEqual(Array.from(ref));
    }
  });

  it('maxUnpool: a box around every non-zero gives the full result', () => {
    const dyDims: Dims3 = [3, 6, 7];
    const inSize = 3 * 13 * 15;
    const rnd = seededRandom(15);
    const sw = Int32Array.from({ length: 2 * 126 }, (_, i) => (i >= 126 ? inSize : 0) + Math.floor(rnd() * inSize));
    for (let t = 0; t < 10; t++) {
      const { dy, box } = boxedSignal(dyDims, 800 + t);
      const [fast, ref] = [new Float32Array(inSize), new Float32Array(inSize)];
      fastKernels.maxUnpool(dy, dyDims, sw, 126, inSize, fast, box);
      referenceKernels.maxUnpool(dy, dyDims, sw, 126, inSize, ref, whole(dyDims));
      expect(Array.from(fast)).toEqual(Array.from(ref));
    }
  });
});
