// Planning through modern activations and squeeze-excitation gates (DESIGN §3), the errors that
// stay errors, and the gate's forward value fed per sample to both backends.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../onnx/builder.ts';
import { analyzeGraph, type GraphSummary } from '../onnx/graph.ts';
import { parseModel, serializeModel } from '../onnx/model.ts';
import { tapModel } from '../onnx/tap.ts';
import { compileReversePath, compiledFeeds } from './compiled/index.ts';
import { type ActivationTensor, DeconvEngine, type ProjectionRequest } from './engine.ts';
import { UnsupportedOpError } from './errors.ts';
import { planProjection } from './plan.ts';
import { cosine, randomArray } from './testing.ts';

const S = [1, 6, 8, 8];
const node = (b: GraphBuilder, op: string, inputs: string[], name: string, shape = S) => b.node(op, inputs, {}, 1, { name, shapes: [shape] })[0];

/** conv → SiLU (x·Sigmoid(x)) → SE gate (GlobalAveragePool → conv → ReLU → conv → Sigmoid) → conv → ReLU6 → head. */
function seModel(): Uint8Array {
  const b = new GraphBuilder();
  const x = b.conv(b.input('input', ['N', 3, 8, 8]), { outChannels: 6, kernel: 3, pad: 1, name: 'conv1', seed: 1 });
  const silu = node(b, 'Mul', [x, node(b, 'Sigmoid', [x], 'sig')], 'silu');
  const pooled = b.globalAveragePool(silu, 'squeeze');
  const s = b.conv(b.relu(b.conv(pooled, { outChannels: 3, kernel: 1, name: 'fc1', seed: 2 }), 'se_act'), { outChannels: 6, kernel: 1, name: 'fc2', seed: 3 });
  const gated = node(b, 'Mul', [node(b, 'Sigmoid', [s], 'gate', [1, 6, 1, 1]), silu], 'se');
  const y = b.conv(gated, { outChannels: 5, kernel: 3, pad: 1, name: 'conv2', seed: 4 });
  const relu6 = node(b, 'Clip', [y, b.initializer('lo', [], [0]), b.initializer('hi', [], [6])], 'relu6', [1, 5, 8, 8]);
  b.output(b.gemm(b.flatten(b.globalAveragePool(relu6, 'gap')), { out: 3, name: 'fc', seed: 5 }), 'logits');
  return b.build();
}

async function forward(bytes: Uint8Array, n: number): Promise<{ graph: GraphSummary; engine: DeconvEngine; acts: Map<string, ActivationTensor> }> {
  const model = parseModel(bytes, 'se.onnx');
  const graph = analyzeGraph(model, 'se.onnx');
  const tapped = tapModel(model, 'all');
  const session = await ort.InferenceSession.create(serializeModel(tapped.model), { logSeverityLevel: 3 });
  // Each image brighter than the last, so their pooled means, and so their gates, differ.
  const x = randomArray(n * 3 * 64, 7).map((v, i) => v + 1.5 * Math.floor(i / (3 * 64)));
  const out = await session.run({ input: new ort.Tensor('float32', x, [n, 3, 8, 8]) });
  await session.release();
  const acts = new Map<string, ActivationTensor>();
  for (const [name, t] of Object.entries(out)) acts.set(name, { dims: t.dims, data: t.data as Float32Array });
  return { graph, engine: new DeconvEngine(graph, tapped.switches), acts };
}

describe('planning', () => {
  it('a gate reverses as × its forward value, which the pass fetches; its branch is not followed', () => {
    const graph = analyzeGraph(parseModel(seModel(), 'se.onnx'), 'se.onnx');
    const plan = planProjection(graph, [], 'relu6');
    expect(plan.steps.map((s) => [s.kind, s.op, s.from, s.to])).toEqual([
      ['relu', 'Clip', 'relu6', ['conv2']],
      ['convTranspose', 'Conv', 'conv2', ['se']],
      ['gateScale', 'Mul', 'se', ['silu']],
      ['relu', 'SiLU', 'silu', ['conv1']],
      ['convTranspose', 'Conv', 'conv1', ['input']],
    ]);
    expect(plan.fetches).toContain('gate');
    expect(plan.shapes.get('gate')).toEqual({ tensor: 'gate' });
  });

  it('the tensors inside a folded activation are not layers to project from', () => {
    const graph = analyzeGraph(parseModel(seModel(), 'se.onnx'), 'se.onnx');
    expect(() => planProjection(graph, [], 'sig')).toThrow(/"sig" is inside the activation "silu" \(SiLU: x·Sigmoid\(x\)\)/);
  });

  it('Clip with a negative min, and a Mul that is no gate, stay errors naming node and op', () => {
    const build = (body: (b: GraphBuilder, x: string) => string) => {
      const b = new GraphBuilder();
      const x = b.conv(b.input('input', [1, 3, 8, 8]), { outChannels: 6, kernel: 3, pad: 1, name: 'conv1' });
      b.output(b.gemm(b.flatten(b.globalAveragePool(body(b, x), 'gap')), { out: 3, name: 'fc' }), 'logits');
      return analyzeGraph(parseModel(b.build(), 'm.onnx'), 'm.onnx');
    };
    const clip = build((b, x) => node(b, 'Clip', [x, b.initializer('lo', [], [-1]), b.initializer('hi', [], [1])], 'hardtanh'));
    expect(() => planProjection(clip, [], 'hardtanh')).toThrow(UnsupportedOpError);
    expect(() => planProjection(clip, [], 'hardtanh')).toThrow(/node "hardtanh" \(Clip\) is on the path from "hardtanh"/);
    const mul = build((b, x) => node(b, 'Mul', [x, node(b, 'Sigmoid', [b.conv(x, { outChannels: 6, kernel: 1, name: 'conv2' })], 'attn')], 'spatial_gate'));
    expect(() => planProjection(mul, [], 'spatial_gate')).toThrow(/node "spatial_gate" \(Mul\) is on the path/);
  });
});

describe('the gate per sample, on both backends', () => {
  it('each request scales by its own image\'s gate (compiled batch of signals from different images, and shared)', async () => {
    const { graph, engine, acts } = await forward(seModel(), 2);
    // The two images' gates differ, so a mix-up would show.
    const g = acts.get('gate')!.data as Float32Array;
    expect(cosine(g.subarray(0, 6), g.subarray(6, 12))).toBeLessThan(0.999);
    const reqs: ProjectionRequest[] = [
      { layer: 'relu6', channel: 1, mode: 'map', batchIndex: 1 },
      { layer: 'relu6', channel: 3, mode: 'single', batchIndex: 0 },
    ];
    const expected = reqs.map((r) => engine.project(acts, r).data);
    const run = async (batch: ProjectionRequest[], shared: boolean) => {
      const c = compileReversePath(engine.plan('relu6'), graph, { batch: batch.length, shapes: acts, sharedSwitches: shared });
      expect(c.unsupported).toBeNull();
      expect(c.inputs.find((i) => i.kind === 'gate')).toMatchObject({ tensor: 'gate', dims: [shared ? 1 : batch.length, 6, 1, 1] });
      const { feeds } = compiledFeeds(c, acts, batch);
      const gateFeed = feeds.get(c.inputs.find((i) => i.kind === 'gate')!.name)!.data;
      batch.forEach((r, i) => i < (shared ? 1 : batch.length) && expect([...gateFeed.subarray(i * 6, (i + 1) * 6)]).toEqual([...g.subarray(r.batchIndex! * 6, (r.batchIndex! + 1) * 6)]));
      const session = await ort.InferenceSession.create(c.bytes, { logSeverityLevel: 3 });
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [name, f] of feeds) ortFeeds[name] = new ort.Tensor(f.type, f.data, f.dims);
      const out = (await session.run(ortFeeds))[c.output].data as Float32Array;
      await session.release();
      return out;
    };
    const both = await run(reqs, false);
    const per = 3 * 64;
    reqs.forEach((_, i) => expect(cosine(both.subarray(i * per, (i + 1) * per), expected[i])).toBeGreaterThan(0.999999));
    const shared = await run([reqs[0], { ...reqs[0], channel: 2 }], true);
    expect(cosine(shared.subarray(0, per), expected[0])).toBeGreaterThan(0.999999);
    expect(cosine(shared.subarray(per), engine.project(acts, { ...reqs[0], channel: 2 }).data)).toBeGreaterThan(0.999999);
  });

  it('the engine rejects a gate that is not per channel', async () => {
    const { engine, acts } = await forward(seModel(), 1);
    const wrong = new Map(acts);
    wrong.set('gate', { dims: [1, 6, 2, 1], data: new Float32Array(12) });
    expect(() => engine.project(wrong, { layer: 'relu6', channel: 0, mode: 'single' })).toThrow(/gate "gate" \[6, 2, 1\]/);
  });
});
