// Tapping (DESIGN §3): a copy of the model whose graph also outputs the requested layers and every
// MaxPool's Indices — the switches the deconvnet unpools through.
import { clone, create } from '@bufbuild/protobuf';
import {
  AttributeProtoSchema,
  type GraphProto,
  GraphProtoSchema,
  type ModelProto,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  TensorProto_DataType,
  TypeProtoSchema,
  TypeProto_TensorSchema,
  ValueInfoProtoSchema,
} from 'onnx-buf';
import { inferElementTypes } from './element-types.ts';
import { ModelError } from './errors.ts';
import { quoted } from '../../common/text.ts';
import { analyzeGraph } from './graph.ts';
import { attrValue, nodeNames } from './nodes.ts';
import { serializeModel } from './model.ts';
import { valueInfo } from './protos.ts';

export interface Switches {
  /** The MaxPool node's name. */
  node: string;
  /** Its input tensor (what the Indices index into) and its pooled output. */
  input: string;
  output: string;
  /** Graph output holding the Indices: int64, flat over N·C·H·W of `input` (row-major, storageOrder 0). */
  indices: string;
  kernel: number[];
  strides: number[];
  /** ONNX order: [y_begin, x_begin, y_end, x_end]. With autoPad SAME_* they depend on the input size. */
  pads: number[];
  dilations: number[];
  ceilMode: boolean;
  storageOrder: number;
  autoPad: string;
}

export interface TappedModel {
  model: ModelProto;
  /** Graph-output names of the requested layers, in request order (a layer's id is its tensor name). */
  layerOutputs: string[];
  switches: Switches[];
  /** Requested layers left untapped: their values are not float or int64 tensors (see TAPPABLE). */
  untapped: { id: string; elemType: number }[];
}

/**
 * Element types a tapped layer may have. The runtime returns float32 and int64 outputs only and
 * fetches every output of a kept pass, so one bool (a Greater feeding a Where) or float16 tap would
 * make every such pass fail; those layers stay listed, unmeasured. A layer whose type inference
 * cannot tell is tapped (onnxruntime works the type out).
 */
const TAPPABLE = new Set<number>([TensorProto_DataType.FLOAT, TensorProto_DataType.INT64]);

const FILE = 'the model';

/** The opset of the default domain (0 when the model imports none). */
export function defaultOpset(model: ModelProto): number {
  return Number(model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0);
}

/**
 * Adds graph outputs by name, typed by ONNX type inference (element-types.ts): the graph's records
 * and the op rules. A wrong element type makes onnxruntime refuse the model ("Type Error"); a missing
 * one it infers itself, so a value whose type the rules cannot tell is declared without one.
 */
function outputAdder(graph: GraphProto, opset: number) {
  const outputs = new Set(graph.output.map((v) => v.name));
  const types = inferElementTypes(graph, opset);
  const addOutput = (name: string, elemType = types.get(name)) => {
    if (outputs.has(name)) return;
    outputs.add(name);
    const type =
      elemType !== undefined && elemType > 0
        ? create(TypeProtoSchema, { value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType }) } })
        : undefined;
    graph.output.push(create(ValueInfoProtoSchema, { name, type }));
  };
  return { outputs, types, addOutput };
}

/** Adds the layers as outputs, those of a tappable type (TAPPABLE); names the others as untapped. */
function tapLayers(graph: GraphProto, ids: string[], { outputs, types, addOutput }: ReturnType<typeof outputAdder>): Pick<TappedModel, 'layerOutputs' | 'untapped'> {
  const produced = new Set(graph.node.flatMap((n) => n.output).filter((o) => o));
  const layerOutputs: string[] = [];
  const untapped: TappedModel['untapped'] = [];
  for (const id of ids) {
    if (!produced.has(id)) {
      throw new ModelError('MODEL_UNSUPPORTED', `cannot tap ${quoted(id)}: no node of the model produces a tensor of that name`, FILE, { layer: id });
    }
    const elemType = types.get(id);
    if (elemType !== undefined && !TAPPABLE.has(elemType) && !outputs.has(id)) {
      untapped.push({ id, elemType });
      continue;
    }
    addOutput(id);
    layerOutputs.push(id);
  }
  return { layerOutputs, untapped };
}

/**
 * A copy of the model that also outputs the named tensors, and nothing else changed: no switches.
 * What analyses that stream many images run (see core/model/model-variants.ts).
 */
export function withOutputs(model: ModelProto, names: readonly string[]): ModelProto {
  const m = clone(ModelProtoSchema, model);
  const graph = m.graph;
  if (!graph) throw new ModelError('MODEL_NOT_ONNX', 'the model has no graph', FILE);
  const produced = new Set(graph.node.flatMap((n) => n.output).filter((o) => o));
  const { outputs, addOutput } = outputAdder(graph, defaultOpset(m));
  for (const name of names) {
    if (!produced.has(name)) {
      throw new ModelError('MODEL_UNSUPPORTED', `no node of the model produces ${quoted(name)}`, FILE, { layer: name });
    }
    // Asked for by name: tapped whatever its type (fetching a type the runtime cannot return names it).
    addOutput(name);
  }
  graph.valueInfo = graph.valueInfo.filter((v) => !outputs.has(v.name));
  return m;
}

/**
 * Every MaxPool's switches: its Indices output where the model has one, else the name tapModel
 * gives it (`<node>__switches`, never clashing with a tensor of the model). Reads the model without
 * copying it, so the deconv engine can be built from the parsed file itself (DESIGN §3).
 */
export function findSwitches(model: ModelProto): Switches[] {
  const graph = model.graph;
  if (!graph) throw new ModelError('MODEL_NOT_ONNX', 'the model has no graph', FILE);
  const names = nodeNames(graph);
  const taken = new Set([...graph.node.flatMap((n) => n.output).filter((o) => o), ...graph.input.map((v) => v.name), ...graph.initializer.map((t) => t.name)]);
  const opset = defaultOpset(model);
  const switches: Switches[] = [];
  graph.node.forEach((n, i) => {
    if (n.opType !== 'MaxPool' || n.domain !== '') return;
    if (opset < 8) {
      throw new ModelError('MODEL_UNSUPPORTED', `MaxPool "${names[i]}" cannot report its switches: opset ${opset} < 8 has no Indices output`, FILE, {
        node: names[i],
      });
    }
    let indices = n.output[1];
    if (!indices) {
      indices = `${names[i]}__switches`;
      while (taken.has(indices)) indices += '_';
      taken.add(indices);
    }
    const attrs = Object.fromEntries(n.attribute.map((a) => [a.name, attrValue(a)]));
    const kernel = (attrs.kernel_shape as number[] | undefined) ?? [];
    const rank = kernel.length;
    switches.push({
      node: names[i],
      input: n.input[0],
      output: n.output[0],
      indices,
      kernel,
      strides: (attrs.strides as number[] | undefined) ?? Array(rank).fill(1),
      pads: (attrs.pads as number[] | undefined) ?? Array(2 * rank).fill(0),
      dilations: (attrs.dilations as number[] | undefined) ?? Array(rank).fill(1),
      ceilMode: attrs.ceil_mode === 1,
      storageOrder: (attrs.storage_order as number | undefined) ?? 0,
      autoPad: (attrs.auto_pad as string | undefined) ?? 'NOTSET',
    });
  });
  return switches;
}

/** Returns a new model; the argument is left as it was. */
export function tapModel(model: ModelProto, layerIds: string[] | 'all'): TappedModel {
  const m = clone(ModelProtoSchema, model);
  const graph = m.graph;
  if (!graph) throw new ModelError('MODEL_NOT_ONNX', 'the model has no graph', FILE);
  const ids = layerIds === 'all' ? analyzeGraph(model, FILE).layers.map((l) => l.id) : layerIds;
  const names = nodeNames(graph);
  const opset = defaultOpset(m);
  const adder = outputAdder(graph, opset);
  const { outputs, addOutput } = adder;
  const { layerOutputs, untapped } = tapLayers(graph, ids, adder);

  // Same names as findSwitches gives the original: the copy's MaxPools get the Indices outputs it names.
  const switches = findSwitches(model);
  for (const sw of switches) {
    const n = graph.node.find((x, i) => names[i] === sw.node)!;
    n.output[1] = sw.indices;
    addOutput(sw.indices, TensorProto_DataType.INT64);
  }
  // ONNX keeps value_info for intermediate values only; a tensor now an output must leave it.
  graph.valueInfo = graph.valueInfo.filter((v) => !outputs.has(v.name));
  return { model: m, layerOutputs, switches, untapped };
}

export interface ServingTaps {
  /** The serialized model with the taps as extra outputs. */
  bytes: Uint8Array;
  layerOutputs: string[];
  untapped: TappedModel['untapped'];
  switches: Switches[];
  /** Each MaxPool's input, tapped so that switchesModel can compute its switches from it. */
  poolInputs: string[];
}

/**
 * The session the app projects with: the model, plus as outputs every layer of a tappable type and
 * each MaxPool's input — but not the switches. A MaxPool that also outputs Indices runs onnxruntime's
 * slow indices kernel and keeps it from its blocked-layout convolutions on CPU: a quarter of every
 * pass on VGG11, wanted or not. A pass fetches what its request needs, and the switches of a pass
 * that is projected are computed from the pool inputs by switchesModel.
 *
 * Serialized without copying the model (a clone copies every weight): the outputs are added to the
 * parsed model, it is serialized, and they are taken off again.
 */
export function serveTapped(model: ModelProto, layerIds: string[] | 'all'): ServingTaps {
  const graph = model.graph;
  if (!graph) throw new ModelError('MODEL_NOT_ONNX', 'the model has no graph', FILE);
  const ids = layerIds === 'all' ? analyzeGraph(model, FILE).layers.map((l) => l.id) : layerIds;
  const switches = findSwitches(model);
  const savedOutputs = graph.output;
  const savedValueInfo = graph.valueInfo;
  graph.output = [...savedOutputs];
  try {
    const adder = outputAdder(graph, defaultOpset(model));
    const { outputs, addOutput } = adder;
    const { layerOutputs, untapped } = tapLayers(graph, ids, adder);
    const inputs = new Set(graph.input.map((v) => v.name));
    const poolInputs = [...new Set(switches.map((s) => s.input))];
    // A pool on the image input reads it from the pass's feeds.
    for (const t of poolInputs) if (!inputs.has(t)) addOutput(t, TensorProto_DataType.FLOAT);
    graph.valueInfo = savedValueInfo.filter((v) => !outputs.has(v.name));
    return { bytes: serializeModel(model), layerOutputs, untapped, switches, poolInputs };
  } finally {
    graph.output = savedOutputs;
    graph.valueInfo = savedValueInfo;
  }
}

/**
 * A graph of the model's MaxPools alone, each with its Indices output: fed the pools' inputs of a
 * pass, it gives that pass's switches exactly as the model's own MaxPool nodes define them (the same
 * nodes, attributes and opset, run by onnxruntime). Inputs are the distinct `Switches.input`s,
 * outputs the `Switches.indices` names.
 */
export function switchesModel(model: ModelProto, switches: Switches[]): Uint8Array {
  const graph = model.graph;
  if (!graph) throw new ModelError('MODEL_NOT_ONNX', 'the model has no graph', FILE);
  const names = nodeNames(graph);
  const nodes = switches.map((sw) => {
    const n = graph.node.find((_, i) => names[i] === sw.node)!;
    return create(NodeProtoSchema, {
      name: sw.node,
      opType: 'MaxPool',
      domain: '',
      input: [sw.input],
      output: [`${sw.indices}__pooled`, sw.indices],
      attribute: n.attribute.map((a) => clone(AttributeProtoSchema, a)),
    });
  });
  const inputs = [...new Set(switches.map((s) => s.input))].map((name) => {
    const rank = switches.find((s) => s.input === name)!.kernel.length + 2;
    return valueInfo(name, TensorProto_DataType.FLOAT, Array.from({ length: rank }, (_, i) => `d${i}`));
  });
  const pools = create(ModelProtoSchema, {
    irVersion: model.irVersion,
    opsetImport: model.opsetImport.map((o) => clone(OperatorSetIdProtoSchema, o)),
    producerName: 'convscope switches',
    graph: create(GraphProtoSchema, {
      name: 'switches',
      node: nodes,
      input: inputs,
      output: switches.map((s) => valueInfo(s.indices, TensorProto_DataType.INT64, null)),
    }),
  });
  return serializeModel(pools);
}
