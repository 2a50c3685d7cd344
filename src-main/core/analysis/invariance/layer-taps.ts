// Sweeps run many inputs through a few layers, on a copy of the model tapped at just those (see
// core/service/model-variants.ts). The copy also computes the feature distances itself: per layer L,
// with F = Flatten(L), ‖F[r] − F[0]‖² and ‖F[0]‖² by Slice/Sub/ReduceSumSquare, so each batch returns a
// few numbers per row instead of whole layers (zf-mini's first layer alone is 32K values per row), and
// the sum runs vectorised in onnxruntime rather than in JavaScript. Sums are in float32 there.
import { create } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType, AttributeProtoSchema, NodeProtoSchema, TensorProto_DataType, TensorProtoSchema, TypeProtoSchema,
  TypeProto_TensorSchema, ValueInfoProtoSchema, type AttributeProto, type ModelProto,
} from 'onnx-buf';
import { AppError } from '../../../common/errors.ts';
import { quoted } from '../../../common/text.ts';
import { defaultOpset, inferElementTypes, withOutputs } from '../../onnx/index.ts';
import type { ModelSession } from '../../service/model-session.ts';
import { layerDistances, type SweepForward } from './sweep.ts';

/**
 * A sweep forward pass whose model computes each row's feature distances to row 0. Falls back to
 * fetching the layers (`layerDistances`) where the graph cannot be extended (opset below 10).
 */
export async function sweepForward(model: ModelSession, layers: string[]): Promise<SweepForward> {
  const output = model.info.outputs[0].name;
  if (model.info.opset < 10) return layerDistances(await model.forwardAt(layers), layers, output);
  const names = distanceOutputs(layers);
  const forward = await model.variantForward(`distances:${layers.join('\n')}`, (m) => withDistances(m, layers, model.info.opset));
  const fetches = [output, ...names.flatMap((x) => [x.d2, x.n2])];
  return async (batch, n) => {
    const out = await forward(batch, n, fetches);
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
  const types = inferElementTypes(graph, defaultOpset(m));
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
    if (!produced.has(l)) throw new AppError('NOT_FOUND', `no node of the model produces ${quoted(l)}`, { layer: l });
    // The sums keep the layer's type; distances are of float activations (a type the rules cannot tell goes undeclared).
    const elemType = types.get(l);
    if (elemType !== undefined && elemType !== TensorProto_DataType.FLOAT) throw new AppError('MODEL_UNSUPPORTED', `layer ${quoted(l)} is not a float tensor`, { layer: l });
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
      const type = elemType === undefined ? undefined : create(TypeProtoSchema, { value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType }) } });
      graph.output.push(create(ValueInfoProtoSchema, { name: out, type }));
    }
  });
  return m;
}
