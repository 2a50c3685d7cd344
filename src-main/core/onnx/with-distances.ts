// A rewrite for invariance sweeps (core/analysis/invariance/layer-taps.ts): a copy of the model that
// also computes, per layer L with F = Flatten(L), ‖F[r] − F[0]‖² and ‖F[0]‖² by Slice/Sub/ReduceSumSquare,
// so a batch returns a few numbers per row instead of whole layers. It lives here, with the other
// rewrites, because the runtime process applies it to the file it parsed (core/runtime).
import { create } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType, AttributeProtoSchema, NodeProtoSchema, TensorProto_DataType, TensorProtoSchema, TypeProtoSchema,
  TypeProto_TensorSchema, ValueInfoProtoSchema, type AttributeProto, type ModelProto,
} from 'onnx-buf';
import { AppError } from '../../common/errors.ts';
import { quoted } from '../../common/text.ts';
import { inferElementTypes } from './element-types.ts';
import { defaultOpset, withOutputs } from './tap.ts';

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
