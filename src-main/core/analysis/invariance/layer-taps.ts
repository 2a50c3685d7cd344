// Sweeps run many inputs through a few layers. The app's session is tapped at every layer and every
// MaxPool's switches: onnxruntime then keeps every intermediate tensor, cannot fuse Conv+ReLU, and
// runs MaxPool through its slower with-indices kernel — measured on zf-mini at 1.7–2× the time of
// the untouched model. Sweeps need neither switches nor other layers, so they load a second copy of
// the model whose graph outputs are just the model's own plus the layers they read (same file, same
// runtime host), and keep the last few of those.
//
// For sweeps the copy also computes the feature distances itself: per layer L, with F = Flatten(L),
// ‖F[r] − F[0]‖² and ‖F[0]‖² by Slice/Sub/ReduceSumSquare, so each batch returns a few numbers per row
// instead of whole layers (zf-mini's first layer alone is 32K values per row), and the sum runs
// vectorised in onnxruntime rather than in JavaScript. Sums are in float32 there.
import path from 'node:path';
import { stat } from 'node:fs/promises';
import { clone, create } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType, AttributeProtoSchema, ModelProtoSchema, NodeProtoSchema, TensorProto_DataType, TensorProtoSchema, TypeProtoSchema,
  TypeProto_TensorSchema, ValueInfoProtoSchema, type AttributeProto, type ModelProto,
} from 'onnx-buf';
import { AppError } from '../../../common/errors.ts';
import { loadModelFile, serializeModel } from '../../onnx/index.ts';
import type { RuntimeHost } from '../../runtime/host.ts';
import { chooseProvider } from '../../runtime/provider.ts';
import { ModelSession } from '../../service/model-session.ts';
import type { BatchForward } from '../map-maxima.ts';
import { layerDistances, type SweepForward } from './sweep.ts';

export class LayerTaps {
  private readonly loaded = new Map<string, Promise<string>>();

  constructor(private readonly host: RuntimeHost, private readonly keep = 2) {}

  /**
   * A forward pass over `model` tapped at `layers` only. Falls back to the session's own (fully
   * tapped) forward pass when the file changed on disk since it was opened, so the two never disagree.
   */
  async forward(model: ModelSession, layers: string[]): Promise<BatchForward> {
    const sorted = [...new Set(layers)].sort();
    const key = await this.loadedKey(model, `taps:${sorted.join('\n')}`, (m) => withOutputs(m, sorted));
    if (!key) return (b, n, f) => model.forward(b, n, f);
    const { channels, height, width, name } = model.info.input;
    return (batch, n, fetches) => this.host.run(key, { [name]: { dims: [n, channels, height, width], data: batch } }, fetches);
  }

  /**
   * A sweep forward pass whose model computes each row's feature distances to row 0. Falls back to
   * fetching the layers (`layerDistances`) where the graph cannot be extended (opset below 10).
   */
  async sweepForward(model: ModelSession, layers: string[]): Promise<SweepForward> {
    const output = model.info.outputs[0].name;
    const fallback = async () => layerDistances(await this.forward(model, layers), layers, output);
    if (model.info.opset < 10) return fallback();
    const names = distanceOutputs(layers);
    const key = await this.loadedKey(model, `distances:${layers.join('\n')}`, (m) => withDistances(m, layers, model.info.opset));
    if (!key) return fallback();
    const { channels, height, width, name } = model.info.input;
    const fetches = [output, ...names.flatMap((x) => [x.d2, x.n2])];
    return async (batch, n) => {
      const out = await this.host.run(key, { [name]: { dims: [n, channels, height, width], data: batch } }, fetches);
      const distance: Record<string, Float64Array> = {};
      const norm: Record<string, number> = {};
      layers.forEach((l, i) => {
        const d2 = out[names[i].d2].data as Float32Array;
        // A row equal to row 0 gives exactly 0; rounding cannot make a sum of squares negative.
        distance[l] = Float64Array.from(d2, (v) => Math.sqrt(Math.max(0, v)));
        norm[l] = Math.sqrt((out[names[i].n2].data as Float32Array)[0]);
      });
      const scores = out[output];
      return { scores: scores.data as Float32Array, classes: scores.dims.slice(1).reduce((a, b) => a * b, 1), distance, norm };
    };
  }

  /** Loads (or reuses) a rewritten copy of the model's file; null when the file changed since it was opened. */
  private async loadedKey(model: ModelSession, what: string, rewrite: (m: ModelProto) => ModelProto): Promise<string | null> {
    const file = model.info.path;
    const st = await stat(file).catch(() => null);
    if (!st || ModelSession.cacheKey(file, st.mtimeMs, st.size) !== model.key) return null;
    const key = `${model.key}|${what}`;
    let ready = this.loaded.get(key);
    if (!ready) {
      ready = this.load(key, file, rewrite, model.info.provider);
      this.loaded.set(key, ready);
      ready.catch(() => this.loaded.delete(key));
      await this.evict();
    } else {
      // Most recently used last.
      this.loaded.delete(key);
      this.loaded.set(key, ready);
    }
    return ready;
  }

  private async load(key: string, file: string, rewrite: (m: ModelProto) => ModelProto, provider: 'cpu' | 'cuda'): Promise<string> {
    const { model } = await loadModelFile(file);
    const bytes = serializeModel(rewrite(model));
    await this.host.load(key, bytes, chooseProvider(provider)).catch((e: Error) => {
      throw Object.assign(e, { message: `${path.basename(file)}: ${e.message}` });
    });
    return key;
  }

  private async evict(): Promise<void> {
    while (this.loaded.size > this.keep) {
      const [oldest, p] = this.loaded.entries().next().value as [string, Promise<string>];
      this.loaded.delete(oldest);
      await p.then((k) => this.host.release(k)).catch(() => {});
    }
  }
}

/** A copy of the model that also outputs the given (float) tensors; nothing else changes. */
export function withOutputs(model: ModelProto, names: string[]): ModelProto {
  const m = clone(ModelProtoSchema, model);
  const graph = m.graph;
  if (!graph) throw new AppError('MODEL_NOT_ONNX', 'the model has no graph');
  const produced = new Set(graph.node.flatMap((n) => n.output));
  const outputs = new Set(graph.output.map((o) => o.name));
  for (const name of names) {
    if (outputs.has(name)) continue;
    if (!produced.has(name)) throw new AppError('NOT_FOUND', `no node of the model produces "${name}"`, { layer: name });
    outputs.add(name);
    // ORT needs an element type for a graph output and works the shape out itself.
    const type = create(TypeProtoSchema, { value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType: TensorProto_DataType.FLOAT }) } });
    graph.output.push(create(ValueInfoProtoSchema, { name, type }));
  }
  return m;
}

/** Graph-output names of the distance nodes of each layer. */
export function distanceOutputs(layers: string[]): { d2: string; n2: string }[] {
  return layers.map((_, i) => ({ d2: `convscope_invariance_d2_${i}`, n2: `convscope_invariance_n2_${i}` }));
}

/**
 * A copy of the model that also outputs, for each layer L (F = Flatten(L, 1), N×D):
 * d2 = ReduceSumSquare(F − F[0:1], axis 1) (N) and n2 = ReduceSumSquare(F[0:1], axis 1) (1).
 */
export function withDistances(model: ModelProto, layers: string[], opset: number): ModelProto {
  const m = withOutputs(model, []);
  const graph = m.graph!;
  const produced = new Set(graph.node.flatMap((n) => n.output));
  const int64 = (name: string, values: number[]) =>
    graph.initializer.push(create(TensorProtoSchema, { name, dims: [BigInt(values.length)], dataType: TensorProto_DataType.INT64, int64Data: values.map(BigInt) }));
  const P = 'convscope_invariance_';
  int64(`${P}zero`, [0]);
  int64(`${P}one`, [1]);
  const axisAttr = opset >= 18 ? [] : [create(AttributeProtoSchema, { name: 'axes', type: AttributeProto_AttributeType.INTS, ints: [1n] })];
  const keep0 = create(AttributeProtoSchema, { name: 'keepdims', type: AttributeProto_AttributeType.INT, i: 0n });
  const node = (op: string, inputs: string[], output: string, attribute: AttributeProto[] = []) =>
    graph.node.push(create(NodeProtoSchema, { name: output, opType: op, domain: '', input: inputs, output: [output], attribute }));
  const names = distanceOutputs(layers);
  layers.forEach((l, i) => {
    if (!produced.has(l)) throw new AppError('NOT_FOUND', `no node of the model produces "${l}"`, { layer: l });
    const f = `${P}flat_${i}`;
    const ref = `${P}ref_${i}`;
    const diff = `${P}diff_${i}`;
    node('Flatten', [l], f, [create(AttributeProtoSchema, { name: 'axis', type: AttributeProto_AttributeType.INT, i: 1n })]);
    node('Slice', [f, `${P}zero`, `${P}one`, `${P}zero`], ref);
    node('Sub', [f, ref], diff);
    const reduceInputs = (x: string) => (opset >= 18 ? [x, `${P}one`] : [x]);
    node('ReduceSumSquare', reduceInputs(diff), names[i].d2, [...axisAttr, keep0]);
    // ‖F[0]‖² from the one-row slice: a twentieth of the work of reducing every row.
    node('ReduceSumSquare', reduceInputs(ref), names[i].n2, [...axisAttr, keep0]);
    for (const out of [names[i].d2, names[i].n2]) {
      const type = create(TypeProtoSchema, { value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType: TensorProto_DataType.FLOAT }) } });
      graph.output.push(create(ValueInfoProtoSchema, { name: out, type }));
    }
  });
  return m;
}
