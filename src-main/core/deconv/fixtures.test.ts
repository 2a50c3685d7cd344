// The engine against an independent reference: PyTorch autograd with the deconvnet's backward
// rules (fixtures/make-fixtures.py, which documents the cases). Same ONNX file, same input; the
// forward pass here is onnxruntime's, so switches and activations are ORT's own.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeGraph, type GraphSummary } from '../onnx/graph.ts';
import { parseModel, serializeModel } from '../onnx/model.ts';
import { seededRandom } from '../onnx/seeded-random.ts';
import { type Switches, tapModel } from '../onnx/tap.ts';
import { type ActivationTensor, DeconvEngine } from './engine.ts';
import { argmaxAbs, cosine, firstMismatch } from './testing.ts';

interface FixtureRequest {
  module: string;
  layer: string;
  channel: number;
  mode: 'single' | 'map';
  position: [number, number] | null;
  value: number;
  crop: [number, number, number, number];
  offset: number;
  length: number;
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
const index = JSON.parse(readFileSync(`${HERE}index.json`, 'utf8')) as { cases: FixtureCase[] };

/** The script's input: mulberry32 draws u, float32(u·2 − 1). */
function fixtureInput(seed: number, dims: number[]): Float32Array {
  const rnd = seededRandom(seed);
  return Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rnd() * 2 - 1);
}

/** The reference projection, un-cropped to C×H×W. */
function reference(c: FixtureCase, blob: Float32Array, r: FixtureRequest): Float32Array {
  const [C, H, W] = c.dims;
  const [y0, x0, y1, x1] = r.crop;
  const [h, w] = [y1 - y0 + 1, x1 - x0 + 1];
  const out = new Float32Array(C * H * W);
  for (let ch = 0; ch < C; ch++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) out[(ch * H + y0 + y) * W + x0 + x] = blob[r.offset + (ch * h + y) * w + x];
  return out;
}

const summary: string[] = [];
afterAll(() => {
  if (summary.length) console.log(`deconv fixtures (min cosine per case):\n  ${summary.join('\n  ')}`);
});

describe.each(index.cases.map((c) => [c.name, c] as const))('PyTorch reference: %s', (_name, c) => {
  let graph: GraphSummary;
  let switches: Switches[];
  const acts = new Map<string, ActivationTensor>();
  let blob: Float32Array;
  let engine: DeconvEngine;
  let minCosine = 1;

  beforeAll(async () => {
    const bytes = new Uint8Array(readFileSync(`${ROOT}${c.model}`));
    if (createHash('sha256').update(bytes).digest('hex') !== c.modelSha256) {
      throw new Error(`${c.model} changed since the fixtures were made: rerun /usr/bin/python3 src-main/core/deconv/fixtures/make-fixtures.py --cases ${c.name}`);
    }
    const model = parseModel(bytes, c.model);
    graph = analyzeGraph(model, c.model);
    const tapped = tapModel(model, 'all');
    switches = tapped.switches;
    const session = await ort.InferenceSession.create(serializeModel(tapped.model), { logSeverityLevel: 3 });
    const out = await session.run({ [graph.input.name]: new ort.Tensor('float32', fixtureInput(c.input.seed, c.input.dims), c.input.dims) });
    await session.release();
    for (const [name, t] of Object.entries(out)) {
      acts.set(name, { dims: t.dims, data: t.type === 'int64' ? Int32Array.from(t.data as BigInt64Array, Number) : (t.data as Float32Array) });
    }
    const raw = readFileSync(`${HERE}${c.data}`);
    blob = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    engine = new DeconvEngine(graph, switches);
  });

  afterAll(() => {
    summary.push(`${c.name}: ${minCosine.toFixed(10)} (1 − cos = ${(1 - minCosine).toExponential(2)}) over ${c.requests.length} projections`);
  });

  it('runs the same model on the same input as the script (logits match torch)', () => {
    const logits = acts.get(graph.outputs[0].name)!.data as Float32Array;
    expect(firstMismatch(logits, c.logits, 1e-4, 1e-4), `${Array.from(logits)} vs ${c.logits}`).toBe(-1);
  });

  it.each(c.requests.map((r) => [`${r.module} c${r.channel} ${r.mode}`, r] as const))('%s', (_what, r) => {
    const layer = graph.layers.find((l) => l.id === r.layer);
    expect(layer, `"${r.layer}" is a layer`).toBeDefined();
    const p = engine.project(acts, { layer: r.layer, channel: r.channel, mode: r.mode });
    // The engine picks the same argmax and reads the same activation as the script.
    expect(p.position).toEqual(r.mode === 'single' ? r.position : null);
    expect(Math.abs(p.value - r.value)).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(r.value));
    const ref = reference(c, blob, r);
    const cos = cosine(p.data, ref);
    minCosine = Math.min(minCosine, cos);
    expect(cos).toBeGreaterThanOrEqual(0.9999);
    // Where the script saw a tie for the largest |value| (gap 0), any of the tied positions is right.
    if (r.maxAbs.gap > 1e-4) expect(argmaxAbs(p.data)).toBe(r.maxAbs.index);
    else expect(Math.abs(Math.abs(p.data[argmaxAbs(p.data)]) - r.maxAbs.value)).toBeLessThanOrEqual(1e-4 * r.maxAbs.value);
    if (layer!.receptiveField && graph.layers.some((l) => l.op === 'LRN' && l.nodes.length > 1)) {
      // PyTorch's LocalResponseNorm subgraphs below the layer are skipped as wholes.
      const below = graph.layers.slice(0, graph.layers.indexOf(layer!) + 1).filter((l) => l.op === 'LRN').map((l) => `contrast normalisation (${l.id})`);
      expect(p.skipped).toEqual(below);
    }
  });
});
