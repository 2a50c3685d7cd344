// Modern activations and squeeze-excitation gates (DESIGN §3 "Modern activations and layouts"),
// recognised in the forms exporters write them, so that the deconv planner can give each its rule:
//
//   an elementwise activation of x   reverses as the deconvnet's rectification: ReLU of the signal,
//                                    the forward mask unused, the signal to x alone
//       Clip(x, min ≥ 0, max)        ReLU6 (torch, tf2onnx)
//       LeakyRelu, HardSwish, Gelu   single ops (HardSwish from opset 14, Gelu from 20)
//       x·HardSigmoid(x)             torch's Hardswish before opset 14
//       x·Sigmoid(x)                 torch's SiLU / Swish
//       x·(c + Erf(p(x)))·k          torch's exact GELU: x · (1 + erf(x/√2)) · 0.5
//       x·(c + Tanh(p(x)))·k         torch's GELU(approximate='tanh'), p a polynomial in x
//   a gate Mul(x, g)                 reverses as multiplication by g's forward value, where g is a
//                                    Sigmoid/HardSigmoid of a side branch that starts by pooling x
//                                    to 1×1 (torchvision's SqueezeExcitation: GlobalAveragePool →
//                                    Conv → act → Conv → Sigmoid/HardSigmoid); the branch is not
//                                    followed going down
//
// The multi-node forms are folded into one layer each, as PyTorch's LRN subgraph is (lrn.ts): the
// intermediate tensors (the Sigmoid beside x, the Erf) are parts of the activation, not layers.
import type { GraphIndex } from './lrn.ts';
import type { NodeDesc } from './nodes.ts';
import { tensorToNumbers } from './tensor.ts';

/** How a recognised node reverses in a deconvnet projection. */
export type ReverseRule =
  | {
      rule: 'rectify';
      /** What was recognised, e.g. "ReLU6 (Clip 0…6)", "SiLU: x·Sigmoid(x)". */
      form: string;
      /** x: where the rectified signal goes. */
      input: string;
    }
  | {
      rule: 'gate';
      form: string;
      /** x, the gated tensor: it receives the signal times the gate. */
      input: string;
      /** g, N×C×1×1: its forward value scales the signal per channel. */
      gate: string;
    };

export interface ActivationMatch {
  /** The node whose output is the activation's result (for a fold: its last node). */
  node: NodeDesc;
  output: string;
  /** The op a layer of it shows: the ONNX op, or for a fold the one op it stands for. */
  op: string;
  /** Every node it stands for, in topological order, ending with `node`. */
  nodes: NodeDesc[];
  reverse: ReverseRule;
}

/** In words, for `info` and the layer table. */
export function describeRule(r: ReverseRule): string {
  return r.rule === 'rectify'
    ? `${r.form}: projections rectify the signal (ReLU of it, the forward mask unused)`
    : `${r.form}: projections multiply the signal by the gate's forward value "${r.gate}", per channel; the gate's branch is not followed`;
}

function scalar(g: GraphIndex, name: string | undefined): number | null {
  const t = name ? g.constants.get(name) : undefined;
  if (!t) return null;
  try {
    const v = tensorToNumbers(t);
    return v.length === 1 ? v[0] : null;
  } catch {
    return null;
  }
}

/** Clip's bounds: attributes before opset 11, optional constant inputs since (undefined: no bound; null: not a constant). */
function clipBounds(g: GraphIndex, n: NodeDesc): { min: number | null | undefined; max: number | null | undefined } {
  if (typeof n.attrs.min === 'number' || typeof n.attrs.max === 'number') {
    return { min: n.attrs.min as number | undefined, max: n.attrs.max as number | undefined };
  }
  const bound = (i: number) => (n.inputs[i] ? scalar(g, n.inputs[i]) : undefined);
  return { min: bound(1), max: bound(2) };
}

const fmt = (v: number) => String(Number(v.toPrecision(6)));

function singleOp(g: GraphIndex, n: NodeDesc): ActivationMatch | null {
  const x = n.inputs[0];
  if (!x || n.outputs.length < 1) return null;
  const one = (op: string, form: string): ActivationMatch => ({ node: n, output: n.outputs[0], op, nodes: [n], reverse: { rule: 'rectify', form, input: x } });
  switch (n.op) {
    case 'Clip': {
      const { min, max } = clipBounds(g, n);
      // Below zero Clip is not a rectifier: its negative part would be lost by rectifying.
      if (typeof min !== 'number' || min < 0) return null;
      if (max === null) return null;
      const form = min === 0 && max === 6 ? 'ReLU6 (Clip 0…6)' : `Clip ${fmt(min)}…${max === undefined ? '∞' : fmt(max)}`;
      return one('Clip', form);
    }
    case 'LeakyRelu':
      return one('LeakyRelu', 'LeakyRelu');
    case 'HardSwish':
      return one('HardSwish', 'HardSwish');
    case 'Gelu':
      return one('Gelu', n.attrs.approximate === 'tanh' ? 'Gelu (tanh)' : 'Gelu');
    default:
      return null;
  }
}

const POLY = new Set(['Mul', 'Add', 'Sub', 'Div', 'Pow']);

/** The nodes of `t` as a polynomial-like expression in x and scalar constants, or null. Marks whether x occurs. */
function polynomial(g: GraphIndex, t: string, x: string, into: NodeDesc[], depth = 0): { hasX: boolean } | null {
  if (t === x) return { hasX: true };
  if (scalar(g, t) !== null) return { hasX: false };
  const p = g.producer.get(t);
  if (!p || !POLY.has(p.op) || depth > 12 || p.inputs.length !== 2) return null;
  let hasX = false;
  for (const i of p.inputs) {
    const r = polynomial(g, i, x, into, depth + 1);
    if (!r) return null;
    hasX ||= r.hasX;
  }
  if (!into.includes(p)) into.push(p);
  return { hasX };
}

/** The factors of a Mul, through inner Muls whose result only it uses: x·(…)·0.5 written as two Muls is three factors. */
function mulFactors(g: GraphIndex, root: NodeDesc): { factors: string[]; muls: NodeDesc[] } {
  const factors: string[] = [];
  const muls: NodeDesc[] = [root];
  const visit = (t: string, depth: number) => {
    const p = g.producer.get(t);
    const users = g.consumers.get(t) ?? [];
    if (p && p.op === 'Mul' && p.inputs.length === 2 && depth < 4 && users.length === 1 && !g.graphOutputs.has(t)) {
      muls.push(p);
      p.inputs.forEach((i) => visit(i, depth + 1));
    } else {
      factors.push(t);
    }
  };
  root.inputs.forEach((i) => visit(i, 0));
  return { factors, muls };
}

/** The gate factor of x·gate(x): its nodes and what it makes of the product, or null. */
function gateOf(g: GraphIndex, t: string, x: string): { nodes: NodeDesc[]; op: string; form: string } | null {
  const p = g.producer.get(t);
  if (!p) return null;
  if ((p.op === 'Sigmoid' || p.op === 'HardSigmoid') && p.inputs[0] === x) {
    return p.op === 'Sigmoid' ? { nodes: [p], op: 'SiLU', form: 'SiLU: x·Sigmoid(x)' } : { nodes: [p], op: 'HardSwish', form: 'HardSwish: x·HardSigmoid(x)' };
  }
  // GELU's 1 + erf(·) or 1 + tanh(·), either operand order.
  if (p.op !== 'Add' || p.inputs.length !== 2) return null;
  const k = p.inputs.findIndex((i) => scalar(g, i) !== null);
  if (k < 0) return null;
  const f = g.producer.get(p.inputs[1 - k]);
  if (!f || (f.op !== 'Erf' && f.op !== 'Tanh')) return null;
  const inner: NodeDesc[] = [];
  const poly = polynomial(g, f.inputs[0], x, inner);
  if (!poly?.hasX) return null;
  return { nodes: [...inner, f, p], op: 'Gelu', form: f.op === 'Erf' ? 'Gelu: x·(1 + Erf(x/√2))/2' : 'Gelu: x·(1 + Tanh(…))/2' };
}

/** x·gate(x) times scalar constants, with every intermediate used only inside. */
function foldedProduct(g: GraphIndex, root: NodeDesc, order: Map<NodeDesc, number>): ActivationMatch | null {
  if (root.op !== 'Mul' || root.inputs.length !== 2) return null;
  const { factors, muls } = mulFactors(g, root);
  const variable = factors.filter((f) => scalar(g, f) === null);
  if (variable.length !== 2) return null;
  for (const [x, other] of [variable, [...variable].reverse()]) {
    const gate = gateOf(g, other, x);
    if (!gate) continue;
    const nodes = [...new Set([...gate.nodes, ...muls])];
    const inside = new Set(nodes);
    const escapes = nodes.some((n) => n !== root && n.outputs.some((o) => g.graphOutputs.has(o) || (g.consumers.get(o) ?? []).some((c) => !inside.has(c))));
    if (escapes) continue;
    nodes.sort((a, b) => order.get(a)! - order.get(b)!);
    return { node: root, output: root.outputs[0], op: gate.op, nodes, reverse: { rule: 'rectify', form: gate.form, input: x } };
  }
  return null;
}

/** Every elementwise activation of the graph: single ops, and the exported x·gate(x) forms folded. */
export function findActivations(g: GraphIndex): ActivationMatch[] {
  const order = new Map(g.nodes.map((n, i) => [n, i]));
  const out: ActivationMatch[] = [];
  for (const n of g.nodes) {
    if (n.domain !== '' && n.domain !== 'ai.onnx') continue;
    const m = singleOp(g, n) ?? foldedProduct(g, n, order);
    if (m) out.push(m);
  }
  // GELU's x·(1 + erf) is itself x·gate(x) before the ·0.5: only the whole product is the activation.
  const inner = new Set(out.flatMap((m) => m.nodes.filter((n) => n !== m.node)));
  return out.filter((m) => !inner.has(m.node));
}

/** A node that pools x to N×C×1×1: GlobalAveragePool, or ReduceMean over H and W keeping them (TF exports). */
function poolsToOne(g: GraphIndex, n: NodeDesc): boolean {
  if (n.op === 'GlobalAveragePool') return true;
  if (n.op !== 'ReduceMean' || n.attrs.keepdims === 0) return false;
  let axes = n.attrs.axes as number[] | undefined;
  if (!axes && n.inputs[1]) {
    const t = g.constants.get(n.inputs[1]);
    axes = t ? tensorToNumbers(t) : undefined;
  }
  return Array.isArray(axes) && axes.length === 2 && [...axes].map((a) => (a < 0 ? a + 4 : a)).sort().join() === '2,3';
}

/**
 * Mul(x, g) where g = Sigmoid/HardSigmoid(branch) and the branch depends on the image only through
 * a pooling of x itself to 1×1 (so g is N×C×1×1, checked again against the forward pass's shapes).
 */
function gateAt(g: GraphIndex, mul: NodeDesc): ActivationMatch | null {
  if (mul.op !== 'Mul' || mul.inputs.length !== 2 || mul.inputs.some((i) => g.constants.has(i))) return null;
  for (const [x, gate] of [mul.inputs, [...mul.inputs].reverse()]) {
    const act = g.producer.get(gate);
    if (!act || (act.op !== 'Sigmoid' && act.op !== 'HardSigmoid') || x === gate) continue;
    // Walk the branch back from the gate: every non-constant input must lead to one pool of x.
    const seen = new Set<NodeDesc>();
    const stack = [act];
    let pool: NodeDesc | null = null;
    let ok = true;
    while (ok && stack.length) {
      const n = stack.pop()!;
      if (seen.has(n)) continue;
      seen.add(n);
      if (seen.size > 32) ok = false;
      if (poolsToOne(g, n) && n.inputs[0] === x) {
        if (pool && pool !== n) ok = false;
        pool = n;
        continue;
      }
      for (const i of [...n.inputs, ...n.implicitInputs]) {
        if (!i || g.constants.has(i)) continue;
        const p = g.producer.get(i);
        // x itself (other than through the pool), or the graph input: not a squeeze-excitation branch.
        if (!p || i === x) ok = false;
        else stack.push(p);
      }
    }
    if (!ok || !pool) continue;
    return {
      node: mul,
      output: mul.outputs[0],
      op: 'Mul',
      nodes: [mul],
      reverse: { rule: 'gate', form: `squeeze-excitation gate (${act.op} of ${pool.op}(x))`, input: x, gate },
    };
  }
  return null;
}

/** Every squeeze-excitation gate Mul(x, g) of the graph. */
export function findGates(g: GraphIndex): ActivationMatch[] {
  const out: ActivationMatch[] = [];
  for (const n of g.nodes) {
    const m = gateAt(g, n);
    if (m) out.push(m);
  }
  return out;
}
