import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { Dim } from '../../common/types.ts';
import { GraphBuilder } from './builder.ts';
import { parseModel } from './model.ts';
import { seededRandom } from './seeded-random.ts';
import { tapModel } from './tap.ts';
import { serializeModel } from './model.ts';
import { tensorToFloat32 } from './tensor.ts';
import { zfTestModel } from './test-models.ts';
import { conv2d, gemm, maxPoolArgmax, relu } from './testing/naive.ts';

async function run(bytes: Uint8Array, feeds: Record<string, [Float32Array, number[]]>): Promise<ort.InferenceSession.ReturnType> {
  const s = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  try {
    return await s.run(Object.fromEntries(Object.entries(feeds).map(([k, [d, dims]]) => [k, new ort.Tensor('float32', d, dims)])));
  } finally {
    await s.release();
  }
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, atol = 1e-5, rtol = 1e-4): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= atol + rtol * Math.abs(want[i]))) {
      throw new Error(`element ${i}: got ${got[i]}, want ${want[i]}`);
    }
  }
}

const randomInput = (n: number, seed: number) => {
  const rnd = seededRandom(seed);
  return Float32Array.from({ length: n }, () => rnd() * 2 - 1);
};

describe('GraphBuilder', () => {
  it('conv → relu → maxpool → gemm matches a naive forward pass (weights laid out as ONNX expects)', async () => {
    const b = new GraphBuilder({ seed: 5 });
    const x = b.input('x', ['N', 3, 9, 9]);
    const c = b.conv(x, { outChannels: 4, kernel: 3, pad: 1, name: 'c' });
    const r = b.relu(c);
    const p = b.maxPool(r, { kernel: 2, stride: 2 });
    const f = b.flatten(p);
    expect(b.shape(f)).toEqual(['N', 64]);
    b.output(b.gemm(f, { out: 5, name: 'fc' }), 'logits');
    const w = (n: string) => tensorToFloat32(b.initializers.get(n)!);

    const input = randomInput(2 * 3 * 81, 1);
    const conv = conv2d(input, [2, 3, 9, 9], w('c.weight'), 4, w('c.bias'), { kernel: [3, 3], pads: [1, 1, 1, 1] });
    const pool = maxPoolArgmax(relu(conv.y), conv.dims, { kernel: [2, 2], stride: [2, 2] });
    const want = gemm(pool.y, 2, 64, w('fc.weight'), 5, w('fc.bias'));
    const got = await run(b.build(), { x: [input, [2, 3, 9, 9]] });
    expect(got.logits.dims).toEqual([2, 5]);
    expectClose(got.logits.data as Float32Array, want);
  });

  it('grouped, dilated, strided conv with asymmetric pads and raw weights matches the naive conv', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 4, 11, 10]);
    const weights = randomInput(6 * 2 * 3 * 2, 9);
    const opts = { kernel: [3, 2] as [number, number], stride: [2, 1] as [number, number], pads: [2, 0, 1, 1] as [number, number, number, number], dilation: [2, 3] as [number, number] };
    const y = b.conv(x, { outChannels: 6, kernel: opts.kernel, stride: opts.stride, pad: opts.pads, dilation: opts.dilation, groups: 2, weights, bias: false });
    b.output(y, 'y');
    const input = randomInput(4 * 11 * 10, 2);
    const want = conv2d(input, [1, 4, 11, 10], Float32Array.from(weights), 6, null, opts, 2);
    const got = await run(b.build(), { x: [input, [1, 4, 11, 10]] });
    expect(got.y.dims).toEqual(want.dims);
    expect(b.shape('y')).toEqual(want.dims);
    expectClose(got.y.data as Float32Array, want.y);
  });

  it("tracks shapes the way onnxruntime computes them, for every op it builds", async () => {
    const b = new GraphBuilder({ opset: 13 });
    const x = b.input('x', ['N', 3, 23, 21]);
    let h = b.conv(x, { outChannels: 8, kernel: [5, 3], stride: 2, pad: [2, 1] });
    h = b.batchNorm(h);
    h = b.leakyRelu(h, 0.1);
    const a = b.maxPool(h, { kernel: 3, stride: 2, ceilMode: true });
    const s = b.conv(a, { outChannels: 8, kernel: 3, stride: 2, autoPad: 'SAME_UPPER' });
    const l = b.conv(a, { outChannels: 8, kernel: 4, stride: 2, autoPad: 'SAME_LOWER' });
    h = b.concat([b.add(s, l), l], 1);
    h = b.lrn(h, { size: 3 });
    h = b.averagePool(h, { kernel: 2, stride: 1, pad: [1, 0, 0, 1], ceilMode: true, countIncludePad: true });
    h = b.maxPool(h, { kernel: 2, dilation: 2, stride: 1, autoPad: 'VALID' });
    const g = b.globalAveragePool(h);
    const v = b.matmul(b.reshape(g, [0, -1]), { out: 7 });
    b.output(b.softmax(b.dropout(v)), 'probs');
    const m = parseModel(b.build(), 'shapes.onnx');
    const tapped = tapModel(m, 'all');
    expect(tapped.layerOutputs.length).toBeGreaterThan(12);
    const got = await run(serializeModel(tapped.model), { x: [randomInput(2 * 3 * 23 * 21, 3), [2, 3, 23, 21]] });
    const concrete = (d: Dim[] | null) => d?.map((v) => (v === 'N' ? 2 : v));
    for (const id of tapped.layerOutputs) expect(got[id].dims, id).toEqual(concrete(b.shape(id)));
  });

  it('ceil_mode drops a last window that would start in the right padding, as onnxruntime does', async () => {
    let dropped = 0;
    for (const len of [4, 5, 6, 7, 8, 9]) {
      for (const [k, s, p] of [[2, 2, 1], [3, 2, 1], [3, 3, 1], [2, 3, 1]]) {
        const b = new GraphBuilder();
        const x = b.input('x', [1, 1, len, len + 1]);
        b.output(b.maxPool(x, { kernel: k, stride: s, pad: p, ceilMode: true }), 'y');
        const got = await run(b.build(), { x: [randomInput(len * (len + 1), 5), [1, 1, len, len + 1]] });
        expect(got.y.dims, `len ${len} k ${k} s ${s} p ${p}`).toEqual(b.shape('y'));
        if ((Math.ceil((len + 2 * p - k) / s) * s) >= len + p) dropped++;
      }
    }
    expect(dropped).toBeGreaterThan(0); // the rule was exercised
  });

  it('is deterministic: same seed, same bytes; another seed, other weights', () => {
    const make = (seed: number) => {
      const b = new GraphBuilder({ seed });
      b.output(b.conv(b.input('x', [1, 1, 4, 4]), { outChannels: 2, kernel: 3 }));
      return b.build();
    };
    expect(make(1)).toEqual(make(1));
    expect(make(1)).not.toEqual(make(2));
    const explicit = (before: boolean) => {
      const b = new GraphBuilder();
      let h = b.input('x', [1, 1, 4, 4]);
      if (before) h = b.conv(h, { outChannels: 1, kernel: 1 });
      b.conv(h, { outChannels: 1, kernel: 3, seed: 42, name: 'c' });
      return Array.from(tensorToFloat32(b.initializers.get('c.weight')!));
    };
    expect(explicit(true)).toEqual(explicit(false)); // an explicit seed doesn't depend on the layers before
  });

  it('node() builds arbitrary ops, including ones onnxruntime cannot run', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 3, 8, 8]);
    const [y] = b.node('FancyOp', [x], { strength: 2, mode: 'fast' }, 1, { domain: 'com.example', shapes: [[1, 3, 8, 8]] });
    b.output(y);
    const m = parseModel(b.build(), 'fancy.onnx');
    expect(m.graph!.node[0]).toMatchObject({ opType: 'FancyOp', domain: 'com.example' });
    await expect(ort.InferenceSession.create(b.build(), { logSeverityLevel: 4 })).rejects.toThrow(/FancyOp|com\.example/);
  });

  it('builds models with non-image inputs (for bad-input tests)', async () => {
    const b = new GraphBuilder();
    const x = b.input('features', ['N', 12]);
    b.output(b.gemm(x, { out: 3 }), 'scores');
    const got = await run(b.build(), { features: [randomInput(24, 4), [2, 12]] });
    expect(got.scores.dims).toEqual([2, 3]);
  });
});

describe('zfTestModel', () => {
  it('is a 3×224×224 convnet onnxruntime runs, deterministic per seed', async () => {
    const bytes = zfTestModel();
    expect(zfTestModel()).toEqual(bytes);
    const got = await run(bytes, { input: [randomInput(3 * 224 * 224, 8), [1, 3, 224, 224]] });
    expect(got.logits.dims).toEqual([1, 10]);
    const scores = Array.from(got.logits.data as Float32Array);
    expect(scores.every(Number.isFinite)).toBe(true);
    expect(Math.max(...scores) - Math.min(...scores)).toBeGreaterThan(1e-3); // not a dead network
    const soft = await run(zfTestModel({ softmax: true, classes: 4, inputSize: 64, channels: 1 }), { input: [randomInput(64 * 64, 8), [1, 1, 64, 64]] });
    const p = Array.from(soft.probabilities.data as Float32Array);
    expect(p.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
  });
});
