// Plain descriptions of a graph's nodes: stable names, decoded attributes, topological order.
import { create } from '@bufbuild/protobuf';
import {
  type AttributeProto,
  AttributeProto_AttributeType as A,
  type GraphProto,
  type NodeProto,
  type TensorProto,
  TensorProtoSchema,
  TensorProto_DataType,
} from 'onnx-buf';
import { ModelError, displayName } from './errors.ts';
import { float32Tensor, int64Tensor } from './tensor.ts';

export type AttrValue = number | number[] | string | string[] | TensorProto | TensorProto[] | GraphProto | GraphProto[];

export interface NodeDesc {
  /** The node's name, or `${op}_${index}` for unnamed (or duplicate-named) nodes. */
  name: string;
  op: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  /** Values read by subgraphs (If/Loop/Scan bodies) from this graph, beyond `inputs`. */
  implicitInputs: string[];
  attrs: Record<string, AttrValue>;
  /** Position in graph.node. */
  index: number;
}

/**
 * One name per node, index-aligned with graph.node. Names must be unique because layers, switches
 * and errors refer to nodes by name, and exporters sometimes leave names empty or repeat them.
 */
export function nodeNames(graph: GraphProto): string[] {
  const taken = new Set(graph.node.map((n) => n.name).filter((n) => n));
  const seen = new Set<string>();
  return graph.node.map((n, i) => {
    if (n.name && !seen.has(n.name)) {
      seen.add(n.name);
      return n.name;
    }
    let name = `${n.opType}_${i}`;
    while (taken.has(name) || seen.has(name)) name += '_';
    seen.add(name);
    return name;
  });
}

const decoder = new TextDecoder();

export function attrValue(a: AttributeProto): AttrValue {
  switch (a.type) {
    case A.FLOAT:
      return a.f;
    case A.INT:
      return Number(a.i);
    case A.STRING:
      return decoder.decode(a.s);
    case A.TENSOR:
      return a.t ?? create(TensorProtoSchema);
    case A.GRAPH:
      return a.g!;
    case A.FLOATS:
      return [...a.floats];
    case A.INTS:
      return a.ints.map(Number);
    case A.STRINGS:
      return a.strings.map((s) => decoder.decode(s));
    case A.TENSORS:
      return [...a.tensors];
    case A.GRAPHS:
      return [...a.graphs];
    default:
      // IR < 3 files may leave `type` unset; fall back on whichever field is filled.
      if (a.ints.length) return a.ints.map(Number);
      if (a.floats.length) return [...a.floats];
      if (a.s.length) return decoder.decode(a.s);
      if (a.t) return a.t;
      if (a.g) return a.g;
      return a.f !== 0 ? a.f : Number(a.i);
  }
}

/** Names a subgraph reads from enclosing scopes: used by the node but not defined inside it. */
function outerReads(g: GraphProto, into: Set<string>): void {
  const defined = new Set<string>([...g.input.map((v) => v.name), ...g.initializer.map((t) => t.name)]);
  for (const n of g.node) {
    for (const name of n.input) if (name && !defined.has(name)) into.add(name);
    for (const a of n.attribute) {
      const inner = new Set<string>();
      if (a.g) outerReads(a.g, inner);
      for (const sg of a.graphs) outerReads(sg, inner);
      for (const name of inner) if (!defined.has(name)) into.add(name);
    }
    for (const name of n.output) defined.add(name);
  }
}

export function implicitInputs(n: NodeProto): string[] {
  const reads = new Set<string>();
  for (const a of n.attribute) {
    if (a.g) outerReads(a.g, reads);
    for (const g of a.graphs) outerReads(g, reads);
  }
  for (const i of n.input) reads.delete(i);
  return [...reads];
}

/**
 * Nodes in a topological order (the file's order when it already is one, as ONNX requires).
 * Counts subgraph reads as inputs, so an If that reads a tensor comes after its producer.
 */
export function describeNodes(graph: GraphProto, file: string): NodeDesc[] {
  const names = nodeNames(graph);
  const descs: NodeDesc[] = graph.node.map((n, i) => ({
    name: names[i],
    op: n.opType,
    domain: n.domain,
    inputs: [...n.input],
    outputs: [...n.output],
    implicitInputs: implicitInputs(n),
    attrs: Object.fromEntries(n.attribute.map((a) => [a.name, attrValue(a)])),
    index: i,
  }));
  const producer = new Map<string, number>();
  descs.forEach((d) => d.outputs.forEach((o) => o && producer.set(o, d.index)));
  const pending = descs.map((d) => {
    const deps = new Set<number>();
    for (const t of [...d.inputs, ...d.implicitInputs]) {
      const p = t ? producer.get(t) : undefined;
      if (p !== undefined && p !== d.index) deps.add(p);
    }
    return deps;
  });
  const consumers: number[][] = descs.map(() => []);
  pending.forEach((deps, i) => deps.forEach((p) => consumers[p].push(i)));
  const count = pending.map((d) => d.size);
  // Kahn's algorithm with a min-index queue keeps the file's order whenever it is valid.
  const ready = count.flatMap((c, i) => (c === 0 ? [i] : []));
  const order: NodeDesc[] = [];
  while (ready.length) {
    let k = 0;
    for (let j = 1; j < ready.length; j++) if (ready[j] < ready[k]) k = j;
    const i = ready.splice(k, 1)[0];
    order.push(descs[i]);
    for (const c of consumers[i]) if (--count[c] === 0) ready.push(c);
  }
  if (order.length !== descs.length) {
    const stuck = descs.filter((_, i) => count[i] > 0).slice(0, 3).map((d) => `"${d.name}" (${d.op})`);
    throw new ModelError('MODEL_UNSUPPORTED', `${displayName(file)}: the graph has a cycle through ${stuck.join(', ')}`, file);
  }
  return order;
}

/**
 * Constant tensors by name: initializers, and the values of Constant nodes (some exporters keep
 * weights there). Initializers win when a name is both.
 */
export function constantTensors(graph: GraphProto): Map<string, TensorProto> {
  const out = new Map<string, TensorProto>();
  for (const n of graph.node) {
    if (n.opType !== 'Constant' || n.domain !== '' || n.output.length !== 1) continue;
    const t = constantNodeValue(n);
    if (t) out.set(n.output[0], t);
  }
  for (const t of graph.initializer) out.set(t.name, t);
  return out;
}

function constantNodeValue(n: NodeProto): TensorProto | null {
  const a = n.attribute[0];
  if (!a || n.attribute.length !== 1) return null;
  const name = n.output[0];
  switch (a.name) {
    case 'value':
      return a.t ?? null;
    case 'value_float':
      return float32Tensor(name, [], [a.f]);
    case 'value_floats':
      return float32Tensor(name, [a.floats.length], a.floats);
    case 'value_int':
      return int64Tensor(name, [], [a.i]);
    case 'value_ints':
      return int64Tensor(name, [a.ints.length], a.ints);
    default:
      return null;
  }
}

export function isFloatType(t: number): boolean {
  return t === TensorProto_DataType.FLOAT || t === TensorProto_DataType.FLOAT16 || t === TensorProto_DataType.DOUBLE || t === TensorProto_DataType.BFLOAT16;
}
