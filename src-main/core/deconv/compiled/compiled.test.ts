// The compiled reverse path on the CPU provider against the TypeScript engine: the GPU path is
// the same graph under another provider, so agreement here is what makes it trustworthy.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../onnx/builder.ts';
import { analyzeGraph, type GraphSummary } from '../../onnx/graph.ts';
import { parseModel, serializeModel } from '../../onnx/model.ts';
import { seededRandom } from '../../onnx/seeded-random.ts';
import { type Switches, tapModel } from '../../onnx/tap.ts';
import { type ActivationTensor, DeconvEngine, type ProjectionRequest } from '../engine.ts';
import { cosine, randomArray } from '../testing.ts';
import { type CompileOptions, type CompiledReversePath, compileReversePath } from './compile.ts';
import { compiledFeeds } from './feeds.ts';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const MODELS = {
  zf224: 'src-main/core/deconv/fixtures/zf224.onnx',
  ops: 'src-main/core/deconv/fixtures/ops.onnx',
  'zf-mini': 'resources/models/zf-mini/zf-mini.onnx',
  'alex-mini': 'resources/models/alex-mini/alex-mini.onnx',
};

interface Forward {
  graph: GraphSummary;
  switches: Switches[];
  acts: Map<string, ActivationTensor>;
}

/** The tapped model's forward pass; switches as Int32, as the runtime worker hands them out (or int64 as ORT made them). */
async function forward(bytes: Uint8Array, n: number, seed: number, int64 = false): Promise<Forward> {
  const model = parseModel(bytes, 'model.onnx');
  const graph = analyzeGraph(model, 'model.onnx');
  const tapped = tapModel(model, 'all');
  const { channels, height, width } = graph.input;
  const session = await ort.InferenceSession.create(serializeModel(tapped.model), { logSeverityLevel: 3 });
  const out = await session.run({ [graph.input.name]: new ort.Tensor('float32', randomArray(n * channels * height * width, seed), [n, channels, height, width]) });
  await session.release();
  const acts = new Map<string, ActivationTensor>();
  for (const [name, t] of Object.entries(out)) {
    const data = t.type === 'int64' && !int64 ? Int32Array.from(t.data as BigInt64Array, Number) : (t.data as Float32Array | BigInt64Array);
    acts.set(name, { dims: t.dims, data });
  }
  return { graph, switches: tapped.switches, acts };
}

async function runCompiled(c: CompiledReversePath, acts: Map<string, ActivationTensor>, reqs: ProjectionRequest[]) {
  expect(c.unsupported).toBeNull();
  const { feeds, starts } = compiledFeeds(c, acts, reqs);
  const session = await ort.InferenceSession.create(c.bytes, { logSeverityLevel: 3, executionProviders: ['cpu'] });
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, f] of feeds) ortFeeds[name] = new ort.Tensor(f.type, f.data, f.dims);
  const out = (await session.run(ortFeeds))[c.output];
  await session.release();
  expect(out.dims).toEqual(c.outputDims);
  const data = out.data as Float32Array;
  const per = data.length / c.batch;
  return { starts, rows: Array.from({ length: c.batch }, (_, i) => data.subarray(i * per, (i + 1) * per)) };
}

const worst = new Map<string, { cos: number; diff: number; rel: number; n: number; zeros: number }>();
afterAll(() => {
  const lines = [...worst].map(([k, w]) => `${k}: min cosine ${w.cos.toFixed(9)}, max |diff| ${w.diff.toExponential(2)} (${w.rel.toExponential(2)} of max |v|) over ${w.n} projections (+${w.zeros} zero)`);
  console.log(`compiled reverse path vs TypeScript engine:\n  ${lines.join('\n  ')}`);
});

/** Ops the CPU and CUDA providers of onnxruntime 1.30 both have kernels for. */
const CUDA_OPS = new Set(['Relu', 'ConvTranspose', 'Mod', 'Reshape', 'ConstantOfShape', 'ScatterElements', 'Identity', 'Cast', 'Add', 'Sum', 'Div', 'Mul', 'Expand', 'Gemm', 'ReduceSum', 'Slice', 'Pad', 'Split']);

/**
 * What keeps the graph on the GPU: known ops only (no MaxUnpool: the CUDA provider has none, and
 * it overwrites shared winners), and ConvTranspose with symmetric pads (the CUDA provider sends
 * asymmetric ones to the CPU).
 */
function expectGpuFriendly(bytes: Uint8Array): Set<string> {
  const nodes = parseModel(bytes, 'compiled.onnx').graph!.node;
  const ops = new Set(nodes.map((n) => n.opType));
  expect([...ops].filter((o) => !CUDA_OPS.has(o))).toEqual([]);
  for (const n of nodes.filter((m) => m.opType === 'ConvTranspose')) {
    const pads = n.attribute.find((a) => a.name === 'pads')!.ints.map(Number);
    expect(pads.slice(0, 2), `${n.name} pads`).toEqual(pads.slice(2));
    expect(n.attribute.some((a) => a.name === 'auto_pad')).toBe(false);
  }
  return ops;
}

/** Projects `reqs` both ways and holds the compiled result to the engine's. */
async function compare(name: string, f: Forward, reqs: ProjectionRequest[], opts: Omit<CompileOptions, 'shapes'> = {}, maxZeroShare = 0.5) {
  const engine = new DeconvEngine(f.graph, f.switches);
  const expected = engine.projectBatch(f.acts, reqs);
  const compiled = compileReversePath(engine.plan(reqs[0].layer), f.graph, { batch: reqs.length, ...opts, shapes: f.acts });
  expectGpuFriendly(compiled.bytes);
  const { starts, rows } = await runCompiled(compiled, f.acts, reqs);
  const w = worst.get(name) ?? { cos: 1, diff: 0, rel: 0, n: 0, zeros: 0 };
  let zeros = 0;
  reqs.forEach((r, i) => {
    const what = `${r.layer} c${r.channel} ${r.mode} @${r.batchIndex ?? 0}`;
    expect(starts[i], what).toEqual({ position: expected[i].position, value: expected[i].value });
    const e = expected[i].data;
    let maxAbs = 0;
    let diff = 0;
    for (let j = 0; j < e.length; j++) {
      maxAbs = Math.max(maxAbs, Math.abs(e[j]));
      diff = Math.max(diff, Math.abs(rows[i][j] - e[j]));
    }
    if (maxAbs === 0) {
      expect(diff, `${what}: the engine's projection is zero`).toBe(0);
      w.zeros++;
      zeros++;
      return;
    }
    const cos = cosine(rows[i], e);
    expect(cos, what).toBeGreaterThanOrEqual(0.9999);
    expect(diff, what).toBeLessThanOrEqual(1e-4 * maxAbs);
    w.cos = Math.min(w.cos, cos);
    w.diff = Math.max(w.diff, diff);
    w.rel = Math.max(w.rel, diff / maxAbs);
    w.n++;
  });
  worst.set(name, w);
  // The comparison is mostly not between zeros (a corner, or a whole map, may be dead on a random image).
  expect(zeros, `${reqs[0].layer}: zero projections`).toBeLessThanOrEqual(reqs.length * maxZeroShare);
  return compiled;
}

/** Channels of a layer's image `b`, strongest map first (by its maximum). */
function byStrength(f: Forward, layer: string, b: number): number[] {
  const t = f.acts.get(layer)!;
  const C = t.dims[1];
  const size = t.data.length / (t.dims[0] * C);
  const data = t.data as Float32Array;
  const max = Array.from({ length: C }, (_, c) => data.subarray((b * C + c) * size, (b * C + c + 1) * size).reduce((m, v) => Math.max(m, v), -Infinity));
  return max.map((_, c) => c).sort((p, q) => max[q] - max[p] || p - q);
}

/** Argmax singles of the three strongest maps, a single at a corner, and two maps — all of image `batchIndex`. */
function requestsFor(f: Forward, layer: string, batchIndex = 0): ProjectionRequest[] {
  const order = byStrength(f, layer, batchIndex);
  const pick = (rank: number) => order[Math.min(rank, order.length - 1)];
  return [
    ...[0, 1, 2].map((rank) => ({ layer, channel: pick(rank), mode: 'single' as const, batchIndex })),
    { layer, channel: pick(0), mode: 'single', position: [0, 0], batchIndex },
    ...[0, Math.floor(order.length / 2)].map((rank) => ({ layer, channel: pick(rank), mode: 'map' as const, batchIndex })),
  ];
}

const modelBytes = (path: string) => new Uint8Array(readFileSync(`${ROOT}${path}`));

describe.each(Object.entries(MODELS))('compiled reverse path: %s', (name, path) => {
  it('matches the engine on every layer, single and map, six signals per run with shared switches', async () => {
    const f = await forward(modelBytes(path), 1, 7);
    const { layers } = f.graph;
    // ops: every layer. The others: every conv layer and its ReLU up to the first fc layer, and that one.
    const fc = layers.findIndex((l) => l.kind === 'fc');
    const ids = layers.filter((l, i) => name === 'ops' || i === fc || (i < fc && (l.kind === 'conv' || l.kind === 'relu'))).map((l) => l.id);
    expect(ids.length).toBeGreaterThan(3);
    for (const layer of ids) await compare(name, f, requestsFor(f, layer), { sharedSwitches: true });
  }, 120_000);
});

describe('compiled reverse path: batches and switches', () => {
  it('one signal per image of a forward batch, switches per row, int32 and int64', async () => {
    const bytes = modelBytes(MODELS['zf-mini']);
    for (const int64 of [false, true]) {
      const f = await forward(bytes, 3, 11, int64);
      const layer = '/relu5/Relu_output_0';
      // Rows deliberately out of order: each row's switches carry another sample's batch offset.
      // Each image's strongest map, so that no projection is trivially zero.
      const reqs: ProjectionRequest[] = [2, 0, 1, 2].map((b, i) => ({ layer, channel: byStrength(f, layer, b)[0], mode: i === 3 ? 'map' : 'single', batchIndex: b }));
      for (const switchType of ['int32', 'int64'] as const) await compare('zf-mini batch of images', f, reqs, { switchType });
    }
  }, 60_000);

  it('fewer requests than the compiled batch: the padding rows project zero signals to zeros', async () => {
    const f = await forward(modelBytes(MODELS['alex-mini']), 1, 3);
    const layer = '/relu2/Relu_output_0';
    const engine = new DeconvEngine(f.graph, f.switches);
    const compiled = compileReversePath(engine.plan(layer), f.graph, { batch: 4, sharedSwitches: true, shapes: f.acts });
    const reqs: ProjectionRequest[] = [{ layer, channel: 3, mode: 'single' }];
    const { rows } = await runCompiled(compiled, f.acts, reqs);
    expect(cosine(rows[0], engine.project(f.acts, reqs[0]).data)).toBeGreaterThanOrEqual(0.9999);
    for (const r of rows.slice(1)) expect(r.every((v) => v === 0)).toBe(true);
  });
});

/** Geometry the demo models don't have: ceil-mode and asymmetric pools, SAME padding, dilation, groups, Pad that crops, count_include_pad. */
function awkwardModel(): Uint8Array {
  const b = new GraphBuilder({ seed: 21 });
  let h = b.input('x', ['N', 3, 41, 37]);
  h = b.conv(h, { outChannels: 6, kernel: [5, 4], stride: [3, 2], pad: [2, 0, 1, 3], name: 'conv1' });
  h = b.relu(h, 'relu1');
  h = b.maxPool(h, { kernel: 3, stride: 2, pad: [1, 0, 0, 1], ceilMode: true, name: 'pool1' });
  h = b.conv(h, { outChannels: 6, kernel: 3, dilation: [2, 1], pad: [2, 1, 1, 0], groups: 3, name: 'conv2' });
  h = b.leakyRelu(h, 0.1, 'lrelu2');
  const pads = b.int64Initializer('crop.pads', [8], [0, 0, 1, -1, 0, 0, -2, 2]);
  const [s0, s1] = b.shape(h)!.slice(2) as number[];
  h = b.node('Pad', [h, pads], { mode: 'constant' }, 1, { name: 'crop', shapes: [['N', 6, s0 - 1, s1 + 1]] })[0];
  h = b.averagePool(h, { kernel: [2, 3], stride: [1, 2], pad: [1, 1, 0, 1], ceilMode: true, countIncludePad: true, name: 'avg2' });
  h = b.conv(h, { outChannels: 8, kernel: 3, stride: 2, autoPad: 'SAME_UPPER', name: 'conv3' });
  h = b.relu(h, 'relu3');
  h = b.averagePool(h, { kernel: 3, stride: 2, pad: 1, ceilMode: true, name: 'avg3' });
  h = b.flatten(h, 1, 'flatten');
  h = b.gemm(h, { out: 5, name: 'fc' });
  b.output(h);
  return b.build();
}

describe('compiled reverse path: awkward geometry', () => {
  it('matches the engine on every layer, and at random positions', async () => {
    const f = await forward(awkwardModel(), 2, 5);
    const rnd = seededRandom(9);
    for (const l of f.graph.layers) {
      const d = f.acts.get(l.id)!.dims;
      const [C, H, W] = [d[1], d[2] ?? 1, d[3] ?? 1];
      const reqs: ProjectionRequest[] = [...requestsFor(f, l.id, 1)];
      for (let i = 0; i < 4; i++) reqs.push({ layer: l.id, channel: Math.floor(rnd() * C), mode: 'single', position: [Math.floor(rnd() * H), Math.floor(rnd() * W)], batchIndex: i % 2 });
      reqs.push({ layer: l.id, channel: 0, mode: 'single', position: [H - 1, W - 1], batchIndex: 0 });
      // Random positions of a leaky layer often hold negative values, which the ReLUs below rectify away.
      await compare('awkward geometry', f, reqs, {}, 0.75);
    }
    const w = worst.get('awkward geometry')!;
    expect(w.zeros).toBeLessThan(w.n / 2);
  }, 60_000);
});

describe('compiled reverse path: the graph', () => {
  it('unpools by scatter-add and deconvolves by ConvTranspose; inputs are the signal and the switches on the path', async () => {
    const f = await forward(modelBytes(MODELS.zf224), 1, 1);
    const engine = new DeconvEngine(f.graph, f.switches);
    const c = compileReversePath(engine.plan('/relu5/Relu_output_0'), f.graph, { shapes: f.acts });
    const ops = expectGpuFriendly(c.bytes);
    expect(ops.has('ScatterElements') && ops.has('ConvTranspose')).toBe(true);
    expect(c.inputs.map((i) => [i.kind, i.tensor ?? null, i.dims])).toEqual([
      ['signal', null, [1, ...f.acts.get('/relu5/Relu_output_0')!.dims.slice(1)]],
      ...f.switches.slice(0, 2).reverse().map((s) => ['switches', s.indices, [1, ...f.acts.get(s.indices)!.dims.slice(1)]]),
    ]);
  });

  it('reports a path it cannot express exactly instead of compiling it', async () => {
    const f = await forward(modelBytes(MODELS['zf-mini']), 1, 1);
    const plan = new DeconvEngine(f.graph, f.switches).plan('/relu3/Relu_output_0');
    // Shapes that disagree with the weights: the engine would reject them; the compiler says why.
    const lying = new Map(f.acts);
    const real = f.acts.get('/norm2/Div_output_0')!;
    lying.set('/norm2/Div_output_0', { ...real, dims: [1, real.dims[1] + 1, real.dims[2], real.dims[3]] });
    const c = compileReversePath(plan, f.graph, { shapes: lying });
    expect(c.unsupported).toMatch(/node "\/conv3\/Conv" \(Conv\).*do not match/);
    expect(c.bytes.length).toBe(0);
  });
});
