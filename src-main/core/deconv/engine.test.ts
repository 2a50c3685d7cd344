import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../onnx/builder.ts';
import { analyzeGraph } from '../onnx/graph.ts';
import { parseModel, serializeModel } from '../onnx/model.ts';
import { seededRandom } from '../onnx/seeded-random.ts';
import { tapModel } from '../onnx/tap.ts';
import { zfTestModel } from '../onnx/test-models.ts';
import { type ActivationTensor, DeconvEngine, type ProjectionRequest, toDisplay } from './engine.ts';
import { UnsupportedOpError } from './errors.ts';
import { referenceKernels } from './kernels/index.ts';
import { describeMismatch, firstMismatch, randomArray } from './testing.ts';

/** Forward pass of the tapped model: every layer and switch, int64 as Int32 (as the runtime worker hands them). */
async function forward(bytes: Uint8Array, input: Float32Array, n = 1, bigSwitches = false) {
  const model = parseModel(bytes, 'model.onnx');
  const graph = analyzeGraph(model, 'model.onnx');
  const tapped = tapModel(model, 'all');
  const session = await ort.InferenceSession.create(serializeModel(tapped.model), { logSeverityLevel: 3 });
  const { channels, height, width } = graph.input;
  const out = await session.run({ [graph.input.name]: new ort.Tensor('float32', input, [n, channels, height, width]) });
  await session.release();
  const acts = new Map<string, ActivationTensor>();
  for (const [name, t] of Object.entries(out)) {
    const data = t.type === 'int64' && !bigSwitches ? Int32Array.from(t.data as BigInt64Array, Number) : (t.data as Float32Array | BigInt64Array);
    acts.set(name, { dims: t.dims, data });
  }
  return { graph, switches: tapped.switches, acts };
}

const inputFor = (bytes: Uint8Array, seed: number, n = 1) => {
  const { channels, height, width } = analyzeGraph(parseModel(bytes, 'm.onnx'), 'm.onnx').input;
  return randomArray(n * channels * height * width, seed);
};

const mapDims = (acts: Map<string, ActivationTensor>, layer: string): [number, number, number] => {
  const d = acts.get(layer)!.dims;
  return d.length === 4 ? [d[1], d[2], d[3]] : [d[1], 1, 1];
};

/** Every geometry the fast path has to get right: strides, dilation, asymmetric and SAME padding, groups, ceil_mode, overlapping pools. */
function awkwardModel(): Uint8Array {
  const b = new GraphBuilder({ seed: 5 });
  let h = b.input('x', ['N', 3, 45, 38]);
  h = b.conv(h, { outChannels: 6, kernel: [5, 4], stride: [2, 3], pad: [2, 0, 1, 3], name: 'conv1' });
  h = b.relu(h, 'relu1');
  h = b.maxPool(h, { kernel: 3, stride: 2, pad: [1, 0, 0, 1], ceilMode: true, name: 'pool1' });
  h = b.conv(h, { outChannels: 6, kernel: 3, dilation: [2, 1], pad: [2, 1, 1, 0], groups: 3, name: 'conv2' });
  h = b.leakyRelu(h, 0.1, 'lrelu2');
  h = b.averagePool(h, { kernel: [2, 3], stride: [1, 2], pad: [1, 1, 0, 1], countIncludePad: true, name: 'avg2' });
  h = b.conv(h, { outChannels: 8, kernel: 3, stride: 2, autoPad: 'SAME_UPPER', name: 'conv3' });
  h = b.relu(h, 'relu3');
  h = b.maxPool(h, { kernel: 2, stride: 1, name: 'pool3' });
  h = b.flatten(h, 1, 'flatten');
  h = b.gemm(h, { out: 5, name: 'fc' });
  b.output(h);
  return b.build();
}

/** A residual join, a Concat, BatchNormalization, GlobalAveragePool and MatMul+Add. */
function joinsModel(): Uint8Array {
  const b = new GraphBuilder({ seed: 9 });
  let h = b.input('x', ['N', 1, 24, 24]);
  h = b.conv(h, { outChannels: 4, kernel: 3, pad: 1, name: 'conv1' });
  h = b.relu(h, 'relu1');
  const a = b.relu(b.conv(h, { outChannels: 4, kernel: 3, pad: 1, name: 'conv_a' }), 'relu_a');
  const sum = b.add(a, h, 'residual');
  const c = b.relu(b.conv(h, { outChannels: 2, kernel: 1, name: 'conv_c' }), 'relu_c');
  h = b.concat([sum, c], 1, 'concat');
  h = b.batchNorm(h, { name: 'bn' });
  h = b.maxPool(h, { kernel: 2, stride: 2, name: 'pool' });
  h = b.globalAveragePool(h, 'gap');
  h = b.flatten(h, 1, 'flat');
  h = b.matmul(h, { out: 3, name: 'dense' });
  b.output(h);
  return b.build();
}

function randomRequests(engine: DeconvEngine, acts: Map<string, ActivationTensor>, layers: string[], seed: number, perLayer: number): ProjectionRequest[] {
  const rnd = seededRandom(seed);
  const reqs: ProjectionRequest[] = [];
  for (const layer of layers) {
    const [C, H, W] = mapDims(acts, layer);
    // Corners first (padding and clipping at the borders), then random positions.
    const corners: [number, number][] = [[0, 0], [H - 1, W - 1], [0, W - 1], [H - 1, 0]];
    for (let i = 0; i < perLayer; i++) {
      const position = i < corners.length ? corners[i] : ([Math.floor(rnd() * H), Math.floor(rnd() * W)] as [number, number]);
      reqs.push({ layer, channel: Math.floor(rnd() * C), mode: 'single', position });
    }
    reqs.push({ layer, channel: Math.floor(rnd() * C), mode: 'map' });
  }
  return reqs;
}

describe('DeconvEngine', () => {
  it('the fast path equals the full computation, and the naive kernels agree, on every layer of awkward geometry', async () => {
    const bytes = awkwardModel();
    const { graph, switches, acts } = await forward(bytes, inputFor(bytes, 1));
    const fast = new DeconvEngine(graph, switches);
    const full = new DeconvEngine(graph, switches, { fastPath: false });
    const naive = new DeconvEngine(graph, switches, { fastPath: false, kernels: referenceKernels });
    const layers = graph.layers.map((l) => l.id);
    const reqs = randomRequests(fast, acts, layers, 2, 7);
    const [a, b, c] = [fast, full, naive].map((e) => e.projectBatch(acts, reqs));
    let nonZero = 0;
    reqs.forEach((r, i) => {
      const what = `${r.layer} c${r.channel} ${r.mode} ${r.position ?? ''}`;
      expect(firstMismatch(a[i].data, b[i].data, 1e-7, 1e-6), `${what}: ${describeMismatch(a[i].data, b[i].data, 1e-7, 1e-6)}`).toBe(-1);
      expect(firstMismatch(a[i].data, c[i].data, 1e-6, 1e-4), `${what} (naive): ${describeMismatch(a[i].data, c[i].data, 1e-6, 1e-4)}`).toBe(-1);
      if (a[i].data.some((v) => v !== 0)) nonZero++;
    });
    expect(nonZero).toBeGreaterThan(reqs.length / 2); // the comparison is not between zeros
  });

  it('a single activation reaches only its receptive field', async () => {
    const bytes = zfTestModel({ inputSize: 96, seed: 3 });
    const { graph, switches, acts } = await forward(bytes, inputFor(bytes, 4));
    const engine = new DeconvEngine(graph, switches);
    for (const layer of ['relu2', 'relu5']) {
      const p = engine.project(acts, { layer, channel: 1, mode: 'single' });
      const rf = graph.layers.find((l) => l.id === layer)!.receptiveField!;
      const [y, x] = p.position!;
      const [H, W] = [p.dims[1], p.dims[2]];
      for (let i = 0; i < H * W; i++) {
        const [py, px] = [Math.floor(i / W), i % W];
        const inside = Math.abs(py - (rf.offset[0] + y * rf.stride[0])) <= (rf.size[0] - 1) / 2 && Math.abs(px - (rf.offset[1] + x * rf.stride[1])) <= (rf.size[1] - 1) / 2;
        if (!inside) for (let c = 0; c < 3; c++) expect(p.data[c * H * W + i], `${layer} (${py}, ${px})`).toBe(0);
      }
      expect(p.data.some((v) => v !== 0)).toBe(true);
    }
  });

  it('reverses residual Adds, Concat, BatchNormalization, GlobalAveragePool and MatMul+Add, fast = full = naive', async () => {
    const bytes = joinsModel();
    const { graph, switches, acts } = await forward(bytes, inputFor(bytes, 6));
    const engines = [new DeconvEngine(graph, switches), new DeconvEngine(graph, switches, { fastPath: false }), new DeconvEngine(graph, switches, { fastPath: false, kernels: referenceKernels })];
    const layers = graph.layers.map((l) => l.id);
    expect(layers).toContain('dense_add'); // the MatMul+Add layer, whose MatMul output is not tapped
    const reqs = randomRequests(engines[0], acts, layers, 7, 5);
    const [a, b, c] = engines.map((e) => e.projectBatch(acts, reqs));
    reqs.forEach((r, i) => {
      expect(firstMismatch(a[i].data, b[i].data, 1e-7, 1e-6), `${r.layer}`).toBe(-1);
      expect(firstMismatch(a[i].data, c[i].data, 1e-6, 1e-4), `${r.layer} (naive)`).toBe(-1);
    });
    const plan = engines[0].plan('dense_add');
    expect(plan.steps.map((s) => s.op)).toEqual(['Add', 'MatMul', 'Flatten', 'GlobalAveragePool', 'MaxPool', 'BatchNormalization', 'Concat', 'Relu', 'Conv', 'Add', 'Relu', 'Conv', 'Relu', 'Conv']);
    expect(engines[0].project(acts, { layer: 'dense_add', channel: 2, mode: 'single' }).position).toEqual([0, 0]);
  });

  it('projects any sample of a batch, from Int32 or BigInt64 switches, as if it were alone', async () => {
    const bytes = zfTestModel({ inputSize: 64, seed: 8 });
    const batch = inputFor(bytes, 9, 3);
    const size = 3 * 64 * 64;
    const all = await forward(bytes, batch, 3);
    const big = await forward(bytes, batch, 3, true);
    const alone = await forward(bytes, batch.slice(2 * size), 1);
    const engine = new DeconvEngine(all.graph, all.switches);
    for (const req of [{ layer: 'relu5', channel: 3, mode: 'single' }, { layer: 'pool2', channel: 5, mode: 'map' }, { layer: 'fc6', channel: 4, mode: 'single' }] as const) {
      const want = engine.project(alone.acts, req);
      for (const got of [engine.project(all.acts, { ...req, batchIndex: 2 }), engine.project(big.acts, { ...req, batchIndex: 2 })]) {
        expect(got.batchIndex).toBe(2);
        expect(got.position).toEqual(want.position);
        expect(got.value).toBe(want.value);
        expect(firstMismatch(got.data, want.data, 1e-6, 1e-5), req.layer).toBe(-1);
      }
    }
  });

  it('reports the request, value, skipped normalisations and what to fetch', async () => {
    const bytes = zfTestModel({ inputSize: 64, seed: 10 });
    const { graph, switches, acts } = await forward(bytes, inputFor(bytes, 11));
    const engine = new DeconvEngine(graph, switches);
    expect(engine.fetchesFor('relu5')).toEqual(['relu5', 'pool2__switches', 'pool1__switches', 'conv5', 'relu4', 'conv4', 'relu3', 'conv3', 'norm2', 'pool2', 'relu2', 'conv2', 'norm1', 'pool1', 'relu1', 'conv1']);
    expect(engine.plan('relu5')).toBe(engine.plan('relu5')); // cached
    const map = acts.get('relu5')!;
    const [C, H, W] = mapDims(acts, 'relu5');
    const c = 2;
    const values = Array.from((map.data as Float32Array).subarray(c * H * W, (c + 1) * H * W));
    const max = Math.max(...values);
    const single = engine.project(acts, { layer: 'relu5', channel: c, mode: 'single' });
    expect(single.position).toEqual([Math.floor(values.indexOf(max) / W), values.indexOf(max) % W]);
    expect(single.value).toBe(max);
    expect(single.skipped).toEqual(['contrast normalisation (norm1)', 'contrast normalisation (norm2)']);
    expect(single.dims).toEqual([3, 64, 64]);
    expect(single.ms).toBeGreaterThanOrEqual(0);
    const mapped = engine.project(acts, { layer: 'relu5', channel: c, mode: 'map' });
    expect(mapped.position).toBeNull();
    expect(mapped.value).toBe(max);
    expect(C).toBeGreaterThan(c);
    // An activation of 0 projects to zeros, and says so.
    const relu2 = acts.get('relu2')!.data as Float32Array;
    const zero = relu2.indexOf(0);
    expect(zero).toBeGreaterThanOrEqual(0);
    const [, H2, W2] = mapDims(acts, 'relu2');
    const at = zero % (H2 * W2);
    const p = engine.project(acts, { layer: 'relu2', channel: Math.floor(zero / (H2 * W2)), mode: 'single', position: [Math.floor(at / W2), at % W2] });
    expect(p.value).toBe(0);
    expect(p.data.every((v) => v === 0)).toBe(true);
    const logits = engine.project(acts, { layer: 'logits', channel: 0, mode: 'single' });
    expect(logits.position).toEqual([0, 0]);
    expect(logits.value).toBe((acts.get('logits')!.data as Float32Array)[0]);
  });

  it('rejects bad requests and missing tensors with messages that name them', async () => {
    const bytes = zfTestModel({ inputSize: 64, seed: 12 });
    const { graph, switches, acts } = await forward(bytes, inputFor(bytes, 13));
    const engine = new DeconvEngine(graph, switches);
    expect(() => engine.project(acts, { layer: 'nope', channel: 0, mode: 'single' })).toThrow('the model has no tensor "nope"');
    expect(() => engine.project(acts, { layer: 'relu2', channel: 99, mode: 'single' })).toThrow('projection of layer "relu2": channel must be an integer from 0 to 15 (layer "relu2" has 16 maps), got 99');
    expect(() => engine.project(acts, { layer: 'relu2', channel: 0, mode: 'single', position: [0, 64] })).toThrow('projection of layer "relu2": position must be [y, x] inside layer "relu2"\'s 8×8 maps, got [0, 64]');
    expect(() => engine.project(acts, { layer: 'relu2', channel: 0, mode: 'single', batchIndex: 1 })).toThrow('projection of layer "relu2": batchIndex must be an integer from 0 to 0 (the pass holds 1 sample), got 1');
    const partial = new Map(acts);
    partial.delete('pool1__switches');
    expect(() => engine.project(partial, { layer: 'relu2', channel: 0, mode: 'map' })).toThrow('the forward pass did not fetch switches "pool1__switches"');
    const e = (() => {
      try {
        engine.project(acts, { layer: 'relu2', channel: 0, mode: 'single', position: [0, 64] });
      } catch (err) {
        return err as { code: string };
      }
    })();
    expect(e?.code).toBe('INVALID_ARGUMENT');
  });
});

describe('planProjection and unsupported ops', () => {
  function withMul(onPath: boolean): Uint8Array {
    const b = new GraphBuilder({ seed: 2 });
    let h = b.input('x', ['N', 1, 16, 16]);
    h = b.relu(b.conv(h, { outChannels: 2, kernel: 3, name: 'conv1' }), 'relu1');
    const k = b.initializer('k', [1], [2]);
    const scaled = b.node('Mul', [h, k], {}, 1, { name: '/features/features.3/Mul', shapes: [b.shape(h)] })[0];
    if (onPath) h = scaled;
    else b.output(scaled, 'side');
    h = b.relu(b.conv(h, { outChannels: 2, kernel: 3, name: 'conv5' }), 'relu5');
    b.output(h);
    return b.build();
  }

  it('names the node, op, layer and input of an op it cannot reverse', async () => {
    const bytes = withMul(true);
    const { graph, switches } = await forward(bytes, inputFor(bytes, 1));
    const engine = new DeconvEngine(graph, switches);
    let err: unknown;
    try {
      engine.plan('conv5');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedOpError);
    expect((err as UnsupportedOpError).message).toBe('node "/features/features.3/Mul" (Mul) is on the path from "conv5" to the input "x"; Convscope cannot project through it');
    expect((err as UnsupportedOpError).code).toBe('MODEL_UNSUPPORTED');
    expect((err as UnsupportedOpError).details).toEqual({ node: '/features/features.3/Mul', op: 'Mul', layer: 'conv5', input: 'x' });
    // Below the Mul, the path is fine.
    expect(engine.plan('relu1').steps.map((s) => s.op)).toEqual(['Relu', 'Conv']);
  });

  it('ignores ops off the path', async () => {
    const bytes = withMul(false);
    const { graph, switches, acts } = await forward(bytes, inputFor(bytes, 1));
    const p = new DeconvEngine(graph, switches).project(acts, { layer: 'relu5', channel: 1, mode: 'map' });
    expect(p.data.some((v) => v !== 0)).toBe(true);
  });

  it('reads weights through Identity nodes (tied weights), and refuses tensors inside a folded LRN', async () => {
    const b = new GraphBuilder({ seed: 4 });
    const x = b.input('x', ['N', 1, 12, 12]);
    const c1 = b.conv(x, { outChannels: 2, kernel: 3, name: 'conv1' });
    const tied = b.node('Identity', ['conv1.weight'], {}, 1, { name: 'tied', shapes: [[2, 1, 3, 3]] })[0];
    const c2 = b.node('Conv', [x, tied], { kernel_shape: [3, 3] }, 1, { name: 'conv2', shapes: [b.shape(c1)] })[0];
    b.output(b.add(c1, c2, 'sum'));
    const bytes = b.build();
    const { graph, switches, acts } = await forward(bytes, inputFor(bytes, 3));
    const engine = new DeconvEngine(graph, switches);
    const [p1, p2, sum] = (['conv1', 'conv2', 'sum'] as const).map((layer) => engine.project(acts, { layer, channel: 1, mode: 'single', position: [4, 5] }));
    // Same weights (conv2 has no bias): the projections differ only by the activation they start from,
    // and the join sends its signal down both branches.
    expect(firstMismatch(p2.data, p1.data.map((v) => (v * p2.value) / p1.value), 1e-6, 1e-5)).toBe(-1);
    expect(p1.data.some((v) => v !== 0)).toBe(true);
    const ratio = sum.value / p1.value;
    expect(firstMismatch(sum.data, p1.data.map((v) => v * 2 * ratio), 1e-6, 1e-5)).toBe(-1);

    const lrn = parseModel(new Uint8Array(readFileSync(new URL('./fixtures/zf224.onnx', import.meta.url))), 'zf224.onnx');
    const lrnGraph = analyzeGraph(lrn, 'zf224.onnx');
    const fold = lrnGraph.layers.find((l) => l.op === 'LRN')!;
    const innerNode = lrnGraph.nodes.find((n) => fold.nodes.includes(n.name) && n.op === 'Mul')!; // x·x
    expect(() => new DeconvEngine(lrnGraph, tapModel(lrn, 'all').switches).plan(innerNode.outputs[0])).toThrow(`is inside the contrast normalisation "${fold.id}"`);
  });

  it('has no rule for Softmax: project from the logits instead', () => {
    const model = parseModel(zfTestModel({ inputSize: 64, softmax: true }), 'm.onnx');
    const [graph, { switches }] = [analyzeGraph(model, 'm.onnx'), tapModel(model, 'all')];
    expect(() => new DeconvEngine(graph, switches).plan('probabilities')).toThrow('node "probabilities" (Softmax) is on the path from "probabilities" to the input "input"');
  });
});

describe('toDisplay', () => {
  it('maps v / max|v| to 0..255 around 128, interleaving channels', () => {
    const data = Float32Array.from([-2, 0, 1, 2, /* channel 2 */ 0.5, -1, 0, 0, /* channel 3 */ 0, 0, 0, -0.001]);
    expect(Array.from(toDisplay(data, [3, 2, 2]))).toEqual([0, 159, 128, 128, 64, 128, 191, 128, 128, 255, 128, 127]);
    expect(Array.from(toDisplay(new Float32Array(4), [1, 2, 2]))).toEqual([128, 128, 128, 128]);
    expect(Array.from(toDisplay(Float32Array.from([NaN, 1, -Infinity, 0]), [1, 2, 2]))).toEqual([128, 255, 0, 128]);
  });
});
