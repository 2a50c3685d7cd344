// What a model looks like to Convscope: its image input, its spine and the layers on it (DESIGN §2, §3).
import type { GraphProto, ModelProto, TensorProto, ValueInfoProto } from 'onnx-buf';
import { TensorProto_DataType } from 'onnx-buf';
import type { Dim, LayerKind, ReceptiveField, TensorSpec } from '../../common/types.ts';
import { ModelError, displayName } from './errors.ts';
import { type ActivationMatch, type ReverseRule, findActivations, findGates } from './activations.ts';
import { type InputLayout, channelsLastHint, inputLayout, ownDims } from './layout.ts';
import { type GraphIndex, type LrnFold, findTorchLrns, indexGraph } from './lrn.ts';
import { type NodeDesc, constantTensors, describeNodes } from './nodes.ts';
import { type Field, inputField, nodeField, toReceptiveField } from './receptive-field.ts';
import { dataTypeName, elementCount } from './tensor.ts';
import { layerInputs } from './layer-inputs.ts';

export interface ImageInput {
  name: string;
  /** In the model's own layout: N×H×W×C for NHWC (its session takes N×C×H×W all the same, layout.ts). */
  dims: Dim[];
  layout: InputLayout;
  channels: 1 | 3;
  height: number;
  width: number;
}

export interface LayerDesc {
  /** The layer's tensor name. */
  id: string;
  /** The node producing it (for a folded subgraph: its last node). */
  node: string;
  op: string;
  kind: LayerKind;
  params: number;
  receptiveField: ReceptiveField | null;
  /** Ids of the layers (or the image input's name) this layer reads, in input order (layer-inputs.ts). */
  inputs: string[];
  /** Names of the nodes this layer stands for: one, or all nodes of a folded subgraph (LRN, MatMul+Add). */
  nodes: string[];
  /** For a folded PyTorch LocalResponseNorm: its hyper-parameters as an ONNX LRN node would hold them. */
  lrn?: { size: number; alpha: number; beta: number; bias: number };
  /** For a recognised modern activation or squeeze-excitation gate: how projections reverse it (activations.ts). */
  reverse?: ReverseRule;
}

export interface GraphSummary {
  input: ImageInput;
  outputs: TensorSpec[];
  opset: number;
  irVersion: number;
  producer: string;
  /** Spine layers in topological order. */
  layers: LayerDesc[];
  /** Every node of the main graph in topological order. */
  nodes: NodeDesc[];
  /** Constant tensors by name: the initializers, plus the values of Constant nodes. */
  initializers: Map<string, TensorProto>;
}

const KINDS: Record<string, LayerKind> = {
  Conv: 'conv',
  ConvTranspose: 'conv',
  Relu: 'relu',
  LeakyRelu: 'relu',
  MaxPool: 'pool',
  AveragePool: 'pool',
  GlobalAveragePool: 'pool',
  GlobalMaxPool: 'pool',
  LRN: 'norm',
  BatchNormalization: 'norm',
  Gemm: 'fc',
  MatMul: 'fc',
};

/** Which inputs hold learned parameters, by op. */
const PARAM_INPUTS: Record<string, number[]> = {
  Conv: [1, 2],
  ConvTranspose: [1, 2],
  Gemm: [1, 2],
  MatMul: [0, 1],
  BatchNormalization: [1, 2, 3, 4],
  PRelu: [1],
};

export function analyzeGraph(model: ModelProto, file: string): GraphSummary {
  const graph = model.graph;
  const name = displayName(file);
  if (!graph || graph.node.length === 0) throw new ModelError('MODEL_NOT_ONNX', `${name} is not an ONNX model (no graph)`, file);
  const input = findImageInput(graph, file, inputLayout(model));
  const nodes = describeNodes(graph, file);
  const outputs = graph.output.map((v) => ({ name: v.name, dims: valueDims(v) ?? [] }));
  if (outputs.length === 0) throw new ModelError('MODEL_UNSUPPORTED', `${name} has no outputs`, file);
  const initializers = constantTensors(graph);
  const g = indexGraph(nodes, initializers, outputs.map((o) => o.name));
  const spine = spineTensors(g, input.name, outputs[0].name);
  if (spine.size === 0) {
    throw new ModelError('MODEL_UNSUPPORTED', `${name}: output "${outputs[0].name}" does not depend on input "${input.name}"`, file);
  }
  const opset = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  return {
    input,
    outputs,
    opset: opset ? Number(opset.version) : 0,
    irVersion: Number(model.irVersion),
    producer: `${model.producerName} ${model.producerVersion}`.trim(),
    layers: linked(g, spine, spineLayers(g, spine, input), input.name),
    nodes,
    initializers,
  };
}

function linked(g: GraphIndex, spine: Set<string>, layers: Omit<LayerDesc, 'inputs'>[], input: string): LayerDesc[] {
  const inputs = layerInputs(g, spine, layers, input);
  return layers.map((l, i) => ({ ...l, inputs: inputs[i] }));
}

function valueDims(v: ValueInfoProto): Dim[] | null {
  if (v.type?.value.case !== 'tensorType') return null;
  const shape = v.type.value.value.shape;
  if (!shape) return null;
  return shape.dim.map((d) => (d.value.case === 'dimValue' ? Number(d.value.value) : d.value.case === 'dimParam' ? d.value.value : '?'));
}

function describeValue(v: ValueInfoProto): string {
  const t = v.type?.value.case === 'tensorType' ? v.type.value.value : null;
  if (!t) return `"${v.name}" (not a tensor)`;
  const dims = valueDims(v);
  return `"${v.name}" ${dataTypeName(t.elemType).toLowerCase()} ${dims ? `[${dims.join(', ')}]` : '(no shape)'}`;
}

/** The one float N×C×H×W input with C ∈ {1, 3} and fixed H, W; weights listed as inputs don't count. */
function findImageInput(graph: GraphProto, file: string, layout: InputLayout): ImageInput {
  const weights = new Set(graph.initializer.map((t) => t.name));
  const real = graph.input.filter((v) => !weights.has(v.name));
  const name = displayName(file);
  const need = 'Convscope needs one float image input N×C×H×W with C = 1 or 3 and fixed H and W';
  const fail = (what: string): never => {
    throw new ModelError('MODEL_NO_IMAGE_INPUT', `${name} has no usable image input: ${what}. ${need}`, file, {
      inputs: real.map((v) => ({ name: v.name, dims: valueDims(v) })),
    });
  };
  if (real.length === 0) fail('the graph has no inputs');
  if (real.length > 1) fail(`it has ${real.length} inputs (${real.map(describeValue).join(', ')})`);
  const v = real[0];
  const t = v.type?.value.case === 'tensorType' ? v.type.value.value : null;
  const dims = valueDims(v);
  // A rewritten channels-last input is named as the model declares it.
  const what = dims && layout === 'NHWC' ? `"${v.name}" ${dataTypeName(t!.elemType).toLowerCase()} [${ownDims(dims, layout).join(', ')}] (NHWC)` : describeValue(v);
  if (!t || !dims) return fail(`input ${what}`);
  if (t.elemType !== TensorProto_DataType.FLOAT) fail(`input ${what} is not float32`);
  if (dims.length !== 4) fail(`input ${what} is ${dims.length}-D, not 4-D`);
  const [, c, h, w] = dims;
  if (c !== 1 && c !== 3) fail(`input ${what} has ${typeof c === 'number' ? c : `"${c}"`} channels${channelsLastHint(graph, v.name, dims)}`);
  if (typeof h !== 'number' || typeof w !== 'number' || h <= 0 || w <= 0) fail(`input ${what} has no fixed height and width`);
  return { name: v.name, dims: ownDims(dims, layout), layout, channels: c as 1 | 3, height: h as number, width: w as number };
}

/**
 * Tensors on some path from the input to the output. Shape and Size outputs are metadata, not
 * activations: following them would put torch's view-shape arithmetic on the spine.
 */
function spineTensors(g: GraphIndex, input: string, output: string): Set<string> {
  const reached = new Set([input]);
  for (const n of g.nodes) {
    if (n.op === 'Shape' || n.op === 'Size') continue;
    if ([...n.inputs, ...n.implicitInputs].some((i) => reached.has(i))) n.outputs.forEach((o) => o && reached.add(o));
  }
  const needed = new Set([output]);
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i];
    if (n.outputs.some((o) => needed.has(o))) [...n.inputs, ...n.implicitInputs].forEach((t) => t && needed.add(t));
  }
  return new Set([...reached].filter((t) => needed.has(t) && t !== input));
}

function paramCount(g: GraphIndex, n: NodeDesc): number {
  let total = 0;
  for (const i of PARAM_INPUTS[n.op] ?? []) {
    const t = n.inputs[i] ? g.constants.get(n.inputs[i]) : undefined;
    if (t) total += elementCount(t);
  }
  return total;
}

/** MatMul with a constant weight whose only consumer adds a constant bias: one fc layer, like Gemm. */
function matMulBias(g: GraphIndex, n: NodeDesc): NodeDesc | null {
  if (n.op !== 'MatMul' || !n.inputs.some((i) => g.constants.has(i)) || g.graphOutputs.has(n.outputs[0])) return null;
  const users = g.consumers.get(n.outputs[0]) ?? [];
  const add = users.length === 1 && users[0].op === 'Add' ? users[0] : null;
  return add && add.inputs.some((i) => i !== n.outputs[0] && g.constants.has(i)) ? add : null;
}

function spineLayers(g: GraphIndex, spine: Set<string>, input: ImageInput): Omit<LayerDesc, 'inputs'>[] {
  const lrnByDiv = new Map<NodeDesc, LrnFold>();
  const folded = new Set<NodeDesc>();
  for (const m of findTorchLrns(g)) {
    if (!spine.has(m.output)) continue;
    lrnByDiv.set(m.div, m);
    m.nodes.forEach((n) => n !== m.div && folded.add(n));
  }
  const recognised = new Map<NodeDesc, ActivationMatch>();
  for (const m of [...findActivations(g), ...findGates(g)]) {
    if (!spine.has(m.output)) continue;
    recognised.set(m.node, m);
    m.nodes.forEach((n) => n !== m.node && folded.add(n));
  }
  const biasOf = new Map<NodeDesc, NodeDesc>(); // Add → its MatMul
  const fields = new Map<string, Field>([[input.name, inputField(input.height, input.width)]]);
  const layers: Omit<LayerDesc, 'inputs'>[] = [];
  const rf = (t: string) => toReceptiveField(fields.get(t) ?? null, input.height, input.width);

  for (const n of g.nodes) {
    if (!n.outputs.some((o) => spine.has(o)) || folded.has(n)) continue;
    const lrn = lrnByDiv.get(n);
    if (lrn) {
      fields.set(lrn.output, fields.get(lrn.input) ?? null);
      layers.push({
        id: lrn.output,
        node: n.name,
        op: 'LRN',
        kind: 'norm',
        params: 0,
        receptiveField: rf(lrn.output),
        nodes: lrn.nodes.map((f) => f.name),
        lrn: { size: lrn.size, alpha: lrn.alpha, beta: lrn.beta, bias: lrn.bias },
      });
      continue;
    }
    const act = recognised.get(n);
    if (act && act.nodes.length > 1) {
      // A folded x·gate(x): one elementwise activation of x, so x's field.
      fields.set(act.output, fields.get(act.reverse.input) ?? null);
      layers.push({ id: act.output, node: n.name, op: act.op, kind: 'relu', params: 0, receptiveField: rf(act.output), nodes: act.nodes.map((f) => f.name), reverse: act.reverse });
      continue;
    }
    const inFields = [...n.inputs, ...n.implicitInputs].filter((i) => fields.has(i)).map((i) => fields.get(i)!);
    const field = nodeField(n, inFields, g.constants);
    for (const o of n.outputs) if (spine.has(o)) fields.set(o, field);

    const add = matMulBias(g, n);
    if (add && spine.has(add.outputs[0])) {
      biasOf.set(add, n); // the layer is emitted at the Add
      continue;
    }
    const matMul = biasOf.get(n);
    for (const o of n.outputs) {
      if (!spine.has(o)) continue;
      layers.push({
        id: o,
        node: n.name,
        op: matMul ? 'MatMul' : n.op,
        kind: matMul ? 'fc' : act?.reverse.rule === 'rectify' ? 'relu' : (KINDS[n.op] ?? 'other'),
        params: matMul ? paramCount(g, matMul) + addBias(g, n, matMul) : paramCount(g, n),
        receptiveField: rf(o),
        nodes: matMul ? [matMul.name, n.name] : [n.name],
        ...(act && o === act.output ? { reverse: act.reverse } : {}),
      });
    }
  }
  return layers;
}

function addBias(g: GraphIndex, add: NodeDesc, matMul: NodeDesc): number {
  const bias = add.inputs.find((i) => i !== matMul.outputs[0] && g.constants.has(i));
  return bias ? elementCount(g.constants.get(bias)!) : 0;
}
