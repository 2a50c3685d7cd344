// PyTorch exports nn.LocalResponseNorm as primitive ops (torch.nn.functional.local_response_norm):
//
//   div = x.mul(x).unsqueeze(1).view(N, 1, C, H, -1)       Mul → Unsqueeze → Reshape
//   div = pad(div, (0, 0, 0, 0, size // 2, (size-1) // 2))  Pad (pads computed by a Shape/Slice/Cast chain)
//   div = avg_pool3d(div, (size, 1, 1), stride=1)           Pad (zeros) → AveragePool kernel [size, 1, 1]
//         .squeeze(1).view(N, C, H, W)                      Squeeze (opset 13: inside an If) → Reshape
//   out = x / div.mul(alpha).add(k).pow(beta)               Mul → Add → Pow → Div
//
// plus Shape/Gather/Unsqueeze/Concat nodes computing the view shapes (see fixtures/export-torch.py
// for the variants). We match from the end (Div, Pow, Add, Mul with scalar constants), walk the
// data path back through shape-only ops to exactly one [size, 1, 1] AveragePool and to Mul(x, x),
// and fold every node that exists only to compute the result.
import type { TensorProto } from 'onnx-buf';
import type { NodeDesc } from './nodes.ts';
import { tensorToNumbers } from './tensor.ts';

export interface LrnFold {
  /** The normalised tensor (x) and the result (the Div's output). */
  input: string;
  output: string;
  div: NodeDesc;
  /** Every folded node, in topological order, ending with the Div. */
  nodes: NodeDesc[];
  size: number;
  alpha: number;
  beta: number;
  bias: number;
}

export interface GraphIndex {
  nodes: NodeDesc[]; // topological order
  producer: Map<string, NodeDesc>;
  consumers: Map<string, NodeDesc[]>;
  constants: Map<string, TensorProto>;
  graphOutputs: Set<string>;
}

export function indexGraph(nodes: NodeDesc[], constants: Map<string, TensorProto>, graphOutputs: Iterable<string>): GraphIndex {
  const producer = new Map<string, NodeDesc>();
  const consumers = new Map<string, NodeDesc[]>();
  for (const n of nodes) {
    for (const o of n.outputs) if (o) producer.set(o, n);
    for (const i of new Set([...n.inputs, ...n.implicitInputs])) {
      if (!i) continue;
      const list = consumers.get(i) ?? [];
      list.push(n);
      consumers.set(i, list);
    }
  }
  return { nodes, producer, consumers, constants, graphOutputs: new Set(graphOutputs) };
}

/** A scalar constant input (one element, any numeric type), or null. */
function scalar(g: GraphIndex, name: string): number | null {
  const t = g.constants.get(name);
  if (!t) return null;
  try {
    const v = tensorToNumbers(t);
    return v.length === 1 ? v[0] : null;
  } catch {
    return null;
  }
}

/** For a binary op with one scalar-constant operand: [the other operand, the constant]. */
function splitConstant(g: GraphIndex, n: NodeDesc | undefined, op: string, constantFirstOk: boolean): [string, number] | null {
  if (!n || n.op !== op || n.inputs.length !== 2) return null;
  const b = scalar(g, n.inputs[1]);
  if (b !== null) return [n.inputs[0], b];
  const a = constantFirstOk ? scalar(g, n.inputs[0]) : null;
  return a !== null ? [n.inputs[1], a] : null;
}

const SHAPE_ONLY = new Set(['Reshape', 'Squeeze', 'Unsqueeze', 'Identity', 'Pad', 'Transpose', 'Cast']);

/** Walks from the pooled sum of squares back to Mul(x, x); returns the data-path nodes and the pool. */
function dataPath(g: GraphIndex, from: string, x: string): { path: NodeDesc[]; pool: NodeDesc } | null {
  const path: NodeDesc[] = [];
  let pool: NodeDesc | null = null;
  let cur = from;
  for (let steps = 0; steps < 40; steps++) {
    const n = g.producer.get(cur);
    if (!n) return null;
    path.push(n);
    const squares = (n.op === 'Mul' && n.inputs[0] === x && n.inputs[1] === x) || (n.op === 'Pow' && n.inputs[0] === x && scalar(g, n.inputs[1]) === 2);
    if (squares) return pool ? { path, pool } : null;
    if (n.op === 'AveragePool') {
      const k = n.attrs.kernel_shape as number[] | undefined;
      const strides = (n.attrs.strides as number[] | undefined) ?? [1, 1, 1];
      if (pool || !Array.isArray(k) || k.length !== 3 || k[1] !== 1 || k[2] !== 1 || strides.some((s) => s !== 1)) return null;
      pool = n;
      cur = n.inputs[0];
    } else if (n.op === 'If') {
      // torch ≥ 1.13 wraps squeeze(1) in an If over the dim's size; the data comes in from the outer scope.
      const data = n.implicitInputs.filter((t) => !g.constants.has(t));
      if (data.length !== 1) return null;
      cur = data[0];
    } else if (SHAPE_ONLY.has(n.op)) {
      cur = n.inputs[0];
    } else {
      return null;
    }
  }
  return null;
}

function ancestors(g: GraphIndex, start: NodeDesc, into = new Set<NodeDesc>()): Set<NodeDesc> {
  const stack = [start];
  while (stack.length) {
    const n = stack.pop()!;
    for (const i of [...n.inputs, ...n.implicitInputs]) {
      const p = i ? g.producer.get(i) : undefined;
      if (p && !into.has(p)) {
        into.add(p);
        stack.push(p);
      }
    }
  }
  return into;
}

function matchAt(g: GraphIndex, div: NodeDesc, order: Map<NodeDesc, number>): LrnFold | null {
  if (div.op !== 'Div' || div.inputs.length !== 2) return null;
  const [x, denom] = div.inputs;
  const pow = splitConstant(g, g.producer.get(denom), 'Pow', false);
  if (!pow) return null;
  const add = splitConstant(g, g.producer.get(pow[0]), 'Add', true);
  if (!add) return null;
  const mul = splitConstant(g, g.producer.get(add[0]), 'Mul', true);
  if (!mul) return null;
  const found = dataPath(g, mul[0], x);
  if (!found) return null;

  // Fold the Div's ancestors that don't also feed x, then drop any whose outputs escape the fold.
  const xProducer = g.producer.get(x);
  const outside = xProducer ? ancestors(g, xProducer, new Set([xProducer])) : new Set<NodeDesc>();
  const fold = new Set([...ancestors(g, div)].filter((n) => !outside.has(n)));
  for (let changed = true; changed; ) {
    changed = false;
    for (const n of fold) {
      const escapes = n.outputs.some(
        (o) => g.graphOutputs.has(o) || (g.consumers.get(o) ?? []).some((c) => c !== div && !fold.has(c)),
      );
      if (escapes) {
        fold.delete(n);
        changed = true;
      }
    }
  }
  // The Mul(alpha), Add(k) and Pow(beta) nodes, and the data path, must all be folded.
  const required = [...found.path, g.producer.get(add[0]), g.producer.get(pow[0]), g.producer.get(denom)];
  if (required.some((n) => !n || !fold.has(n))) return null;
  fold.add(div);
  const k = found.pool.attrs.kernel_shape as number[];
  return {
    input: x,
    output: div.outputs[0],
    div,
    nodes: [...fold].sort((a, b) => order.get(a)! - order.get(b)!),
    size: k[0],
    alpha: mul[1],
    beta: pow[1],
    bias: add[1],
  };
}

/** All PyTorch LocalResponseNorm subgraphs of a graph. */
export function findTorchLrns(g: GraphIndex): LrnFold[] {
  const order = new Map(g.nodes.map((n, i) => [n, i]));
  const out: LrnFold[] = [];
  for (const n of g.nodes) {
    const m = matchAt(g, n, order);
    if (m) out.push(m);
  }
  return out;
}
