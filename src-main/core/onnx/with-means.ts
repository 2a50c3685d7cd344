// A rewrite for linear probes (core/analysis/probe): a copy of the model that also outputs, per
// layer L, its per-channel spatial mean (DESIGN §3 "Linear probe": global average pooling of an
// N×C×H×W layer, the vector itself of an N×F one). Reduced in-graph, so a batch sends back C numbers
// per image and layer instead of whole maps. It lives here, with the other rewrites, because the
// runtime process applies it to the file it parsed.
import { create } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType, AttributeProtoSchema, NodeProtoSchema, TensorProto_DataType, TensorProtoSchema, TypeProtoSchema,
  TypeProto_TensorSchema, ValueInfoProtoSchema, type ModelProto,
} from 'onnx-buf';
import { AppError } from '../../common/errors.ts';
import { quoted } from '../../common/text.ts';
import { inferElementTypes } from './element-types.ts';
import { defaultOpset, withOutputs } from './tap.ts';

/** Graph-output name of the means of the i-th layer (N×C). */
export function meanOutputs(layers: readonly string[]): string[] {
  return layers.map((_, i) => `convscope_probe_mean_${i}`);
}

/**
 * A copy of the model that also outputs, for each layer L, ReduceMean(Reshape(L, [0, 0, −1]), axis 2):
 * N×C×H×W → N×C (global average pooling), N×C×L → N×C, N×F → N×F (a mean over one value). One
 * graph for every rank, so the runtime needs no shapes to build it.
 */
export function withMeans(model: ModelProto, layers: readonly string[], opset: number): ModelProto {
  const m = withOutputs(model, []);
  const graph = m.graph!;
  const produced = new Set(graph.node.flatMap((n) => n.output));
  const types = inferElementTypes(graph, defaultOpset(m));
  const P = 'convscope_probe_';
  graph.initializer.push(create(TensorProtoSchema, { name: `${P}shape`, dims: [3n], dataType: TensorProto_DataType.INT64, int64Data: [0n, 0n, -1n] }));
  if (opset >= 18) graph.initializer.push(create(TensorProtoSchema, { name: `${P}axis`, dims: [1n], dataType: TensorProto_DataType.INT64, int64Data: [2n] }));
  const keep0 = create(AttributeProtoSchema, { name: 'keepdims', type: AttributeProto_AttributeType.INT, i: 0n });
  const axes = create(AttributeProtoSchema, { name: 'axes', type: AttributeProto_AttributeType.INTS, ints: [2n] });
  const names = meanOutputs(layers);
  layers.forEach((l, i) => {
    if (!produced.has(l)) throw new AppError('NOT_FOUND', `no node of the model produces ${quoted(l)}`, { layer: l });
    const elemType = types.get(l);
    if (elemType !== undefined && elemType !== TensorProto_DataType.FLOAT) throw new AppError('MODEL_UNSUPPORTED', `layer ${quoted(l)} is not a float tensor: a probe reads float activations`, { layer: l });
    const flat = `${P}flat_${i}`;
    graph.node.push(create(NodeProtoSchema, { name: flat, opType: 'Reshape', domain: '', input: [l, `${P}shape`], output: [flat] }));
    graph.node.push(create(NodeProtoSchema, {
      name: names[i], opType: 'ReduceMean', domain: '',
      input: opset >= 18 ? [flat, `${P}axis`] : [flat],
      output: [names[i]],
      attribute: opset >= 18 ? [keep0] : [axes, keep0],
    }));
    const type = create(TypeProtoSchema, { value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType: TensorProto_DataType.FLOAT }) } });
    graph.output.push(create(ValueInfoProtoSchema, { name: names[i], type }));
  });
  return m;
}
