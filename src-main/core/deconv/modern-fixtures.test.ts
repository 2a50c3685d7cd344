// Projections through modern activations and squeeze-excitation gates (DESIGN §3 "Modern
// activations and layouts"; issue 15) against PyTorch autograd with the same backward rules
// (fixtures/make-modern-fixtures.py): torchvision's MobileNetV2, MobileNetV3-small and
// EfficientNet-B0 at reduced width, and a small model over the other forms (GELU's Erf and Tanh
// decompositions, HardSwish, LeakyReLU, ReLU6). Both backends: the TypeScript engine and the
// reverse path compiled to ONNX, run by onnxruntime on the CPU provider.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeGraph, type GraphSummary } from '../onnx/graph.ts';
import { parseModel, serializeModel } from '../onnx/model.ts';
import { seededRandom } from '../onnx/seeded-random.ts';
import { tapModel } from '../onnx/tap.ts';
import { compileReversePath, compiledFeeds } from './compiled/index.ts';
import { type ActivationTensor, DeconvEngine, type Projection, type ProjectionRequest } from './engine.ts';
import { argmaxAbs, cosine, firstMismatch, uncrop } from './testing.ts';

interface FixtureRequest {
  module: string;
  layer: string;
  channel: number;
  mode: 'single' | 'map';
  position: [number, number] | null;
  value: number;
  crop: [number, number, number, number];
  offset: number;
  maxAbs: { index: number; value: number; gap: number };
}
interface FixtureCase {
  name: string;
  model: string;
  modelSha256: string;
  data: string;
  input: { seed: number; dims: number[] };
  logits: number[];
  dims: [number, number, number];
  requests: FixtureRequest[];
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const HERE = fileURLToPath(new URL('./fixtures/', import.meta.url));
const index = JSON.parse(readFileSync(`${HERE}modern.json`, 'utf8')) as { cases: FixtureCase[] };

/** The script's input: mulberry32 draws u, float32(u·2 − 1). */
function fixtureInput(seed: number, dims: number[]): Float32Array {
  const rnd = seededRandom(seed);
  return Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rnd() * 2 - 1);
}

async function compiledProjection(graph: GraphSummary, engine: DeconvEngine, acts: Map<string, ActivationTensor>, req: ProjectionRequest): Promise<Float32Array> {
  const compiled = compileReversePath(engine.plan(req.layer), graph, { shapes: acts });
  expect(compiled.unsupported).toBeNull();
  const { feeds } = compiledFeeds(compiled, acts, [req]);
  const session = await ort.InferenceSession.create(compiled.bytes, { logSeverityLevel: 3, executionProviders: ['cpu'] });
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, f] of feeds) ortFeeds[name] = new ort.Tensor(f.type, f.data, f.dims);
  const out = (await session.run(ortFeeds))[compiled.output];
  await session.release();
  return out.data as Float32Array;
}

const summary: string[] = [];
afterAll(() => {
  if (summary.length) console.log(`modern fixtures (min cosine per case and backend):\n  ${summary.join('\n  ')}`);
});

describe.each(index.cases.map((c) => [c.name, c] as const))('PyTorch reference: %s', (_name, c) => {
  let graph: GraphSummary;
  const acts = new Map<string, ActivationTensor>();
  let blob: Float32Array;
  let engine: DeconvEngine;
  const minCosine = { engine: 1, compiled: 1 };

  beforeAll(async () => {
    const bytes = new Uint8Array(readFileSync(`${ROOT}${c.model}`));
    if (createHash('sha256').update(bytes).digest('hex') !== c.modelSha256) {
      throw new Error(`${c.model} changed since the fixtures were made: rerun /usr/bin/python3 src-main/core/deconv/fixtures/make-modern-fixtures.py --cases ${c.name}`);
    }
    const model = parseModel(bytes, c.model);
    graph = analyzeGraph(model, c.model);
    const tapped = tapModel(model, 'all');
    const session = await ort.InferenceSession.create(serializeModel(tapped.model), { logSeverityLevel: 3 });
    const out = await session.run({ [graph.input.name]: new ort.Tensor('float32', fixtureInput(c.input.seed, c.input.dims), c.input.dims) });
    await session.release();
    for (const [name, t] of Object.entries(out)) {
      acts.set(name, { dims: t.dims, data: t.type === 'int64' ? Int32Array.from(t.data as BigInt64Array, Number) : (t.data as Float32Array) });
    }
    const raw = readFileSync(`${HERE}${c.data}`);
    blob = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    engine = new DeconvEngine(graph, tapped.switches);
  });

  afterAll(() => {
    summary.push(`${c.name}: engine ${minCosine.engine.toFixed(8)}, compiled ${minCosine.compiled.toFixed(8)} over ${c.requests.length} projections`);
  });

  it('runs the same model on the same input as the script (logits match torch)', () => {
    const logits = acts.get(graph.outputs[0].name)!.data as Float32Array;
    expect(firstMismatch(logits, c.logits, 1e-4, 1e-4), `${Array.from(logits)} vs ${c.logits}`).toBe(-1);
  });

  const check = (r: FixtureRequest, data: Float32Array, backend: keyof typeof minCosine) => {
    const ref = uncrop(blob, r.offset, r.crop, c.dims);
    const cos = cosine(data, ref);
    minCosine[backend] = Math.min(minCosine[backend], cos);
    expect(cos, backend).toBeGreaterThanOrEqual(0.9999);
    // Where the script saw a tie for the largest |value| (gap 0), any of the tied positions is right.
    if (r.maxAbs.gap > 1e-4) expect(argmaxAbs(data), backend).toBe(r.maxAbs.index);
    else expect(Math.abs(Math.abs(data[argmaxAbs(data)]) - r.maxAbs.value)).toBeLessThanOrEqual(1e-4 * r.maxAbs.value);
  };

  it.each(c.requests.map((r) => [`${r.module} c${r.channel} ${r.mode}`, r] as const))('%s', async (_what, r) => {
    expect(graph.layers.some((l) => l.id === r.layer), `"${r.layer}" is a layer`).toBe(true);
    const req: ProjectionRequest = { layer: r.layer, channel: r.channel, mode: r.mode };
    const p: Projection = engine.project(acts, req);
    expect(p.position).toEqual(r.mode === 'single' ? r.position : null);
    expect(Math.abs(p.value - r.value)).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(r.value));
    check(r, p.data, 'engine');
    check(r, await compiledProjection(graph, engine, acts, req), 'compiled');
  });
});
