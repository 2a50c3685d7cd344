// The reverse path of a deconvnet projection (DESIGN §3): which forward nodes lie between a layer
// and the image input, and what each becomes on the way down. Planning is structural (tensor
// names, weights, switch names); shapes come from the forward pass when a projection runs,
// because every layer is tapped and the taps are the only shapes that are always exact.
import type { ReverseRule } from '../onnx/activations.ts';
import type { GraphSummary, LayerDesc } from '../onnx/graph.ts';
import type { NodeDesc } from '../onnx/nodes.ts';
import type { Switches } from '../onnx/tap.ts';
import { tensorDims } from '../onnx/tensor.ts';
import { badRequest, invalidRequest } from './errors.ts';
import { quoted } from '../../common/text.ts';
import { type PlanContext, reverseStep } from './steps.ts';
import type { ReverseStep } from './step-types.ts';

export type { PlanWindow, ReverseStep } from './step-types.ts';

/** Where a tensor's per-sample shape (its dims without the batch) comes from. */
export type ShapeSource = { tensor: string } | { dims: number[] };

export interface ReversePlan {
  layer: string;
  /** The image input, where the projection ends. */
  input: string;
  /** In execution order: every step runs after all steps that feed its `from`. */
  steps: ReverseStep[];
  /** What the path passes through unchanged, in forward order, e.g. "contrast normalisation (norm1)". */
  skipped: string[];
  /** Per-sample shape of every tensor a step reads or writes. */
  shapes: Map<string, ShapeSource>;
  /** Switch (MaxPool Indices) tensors the steps unpool through. */
  switches: string[];
  /** What a forward pass must fetch: the layer, the switches, and every tensor a shape is read from. */
  fetches: string[];
}

interface LrnFold {
  input: string;
  output: string;
  members: Set<string>;
}

/** PyTorch's LocalResponseNorm subgraphs, as analyzeGraph folded them into one 'LRN' layer each. */
function lrnFolds(graph: GraphSummary, producer: Map<string, NodeDesc>): Map<string, LrnFold> {
  const byDiv = new Map<string, LrnFold>();
  for (const l of graph.layers) {
    if (l.op !== 'LRN' || l.nodes.length < 2) continue;
    const div = producer.get(l.id);
    if (!div) continue;
    byDiv.set(div.name, { input: div.inputs[0], output: l.id, members: new Set(l.nodes) });
  }
  return byDiv;
}

/** Modern activations and squeeze-excitation gates, as analyzeGraph recognised them (onnx/activations.ts), by the node that ends each. */
function recognisedRules(graph: GraphSummary): Map<string, LayerDesc & { reverse: ReverseRule }> {
  const byNode = new Map<string, LayerDesc & { reverse: ReverseRule }>();
  for (const l of graph.layers) if (l.reverse) byNode.set(l.node, l as LayerDesc & { reverse: ReverseRule });
  return byNode;
}

/** The step a recognised node reverses as (DESIGN §3 "Modern activations and layouts"). */
function recognisedStep(l: LayerDesc & { reverse: ReverseRule }): ReverseStep {
  const base = { node: l.node, op: l.op, from: l.id, to: [l.reverse.input] };
  return l.reverse.rule === 'rectify' ? { ...base, kind: 'relu' } : { ...base, kind: 'gateScale', gate: l.reverse.gate };
}

/** Tensors computed from the input. Shape and Size read only metadata, as in analyzeGraph. */
function reachedFrom(nodes: NodeDesc[], input: string): Set<string> {
  const reached = new Set([input]);
  for (const n of nodes) {
    if (n.op === 'Shape' || n.op === 'Size') continue;
    if ([...n.inputs, ...n.implicitInputs].some((i) => reached.has(i))) n.outputs.forEach((o) => o && reached.add(o));
  }
  return reached;
}

export function planProjection(graph: GraphSummary, switches: Switches[], layerId: string): ReversePlan {
  const input = graph.input.name;
  const producer = new Map<string, NodeDesc>();
  for (const n of graph.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  if (layerId === input) throw invalidRequest(`${quoted(layerId)} is the image input, not a layer`, { layer: layerId });
  if (!producer.has(layerId)) throw invalidRequest(`the model has no tensor ${quoted(layerId)}`, { layer: layerId });
  const reached = reachedFrom(graph.nodes, input);
  if (!reached.has(layerId)) throw invalidRequest(`layer "${layerId}" does not depend on the input "${input}"`, { layer: layerId });

  const folds = lrnFolds(graph, producer);
  const folded = new Set<string>();
  for (const f of folds.values()) for (const m of f.members) folded.add(m);
  const inside = [...folds.values()].find((f) => f.output !== layerId && f.members.has(producer.get(layerId)!.name));
  if (inside) throw invalidRequest(`"${layerId}" is inside the contrast normalisation "${inside.output}": project from that layer instead`, { layer: layerId });
  const rules = recognisedRules(graph);
  for (const l of rules.values()) {
    if (l.nodes.length < 2) continue;
    for (const m of l.nodes) if (m !== l.node) folded.add(m);
    if (l.id !== layerId && l.nodes.includes(producer.get(layerId)!.name)) {
      throw invalidRequest(`"${layerId}" is inside the activation "${l.id}" (${l.reverse.form}): project from that layer instead`, { layer: layerId });
    }
  }
  const ctx: PlanContext = {
    layer: layerId,
    input,
    reached,
    constants: graph.initializers,
    producer,
    switches: new Map(switches.map((s) => [s.node, s])),
  };

  const needed = new Set([layerId]);
  const steps: ReverseStep[] = [];
  const skipped: string[] = [];
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const n = graph.nodes[i];
    const fold = folds.get(n.name);
    if (fold) {
      if (!needed.has(fold.output)) continue;
      steps.push({ kind: 'identity', node: n.name, op: 'LRN', from: fold.output, to: [fold.input] });
      skipped.push(`contrast normalisation (${fold.output})`);
      needed.add(fold.input);
      continue;
    }
    const outputs = n.outputs.filter((o) => o && needed.has(o));
    if (folded.has(n.name) || outputs.length === 0) continue;
    const rule = rules.get(n.name);
    const step = rule && outputs.length === 1 && outputs[0] === rule.id ? recognisedStep(rule) : reverseStep(n, outputs, ctx);
    steps.push(step);
    if (step.kind === 'identity') skipped.push(`${n.op === 'LRN' ? 'contrast normalisation' : n.op.toLowerCase()} (${step.from})`);
    for (const t of step.to) needed.add(t);
  }

  const shapes = shapeSources(graph, steps, layerId, ctx);
  const switchNames = steps.flatMap((s) => (s.kind === 'maxUnpool' ? [s.switches] : []));
  // A gate's forward value is read from the same pass as the layer (a tapped layer of the model).
  const gates = steps.flatMap((s) => (s.kind === 'gateScale' ? [s.gate] : []));
  const fetches = [layerId, ...switchNames, ...gates];
  for (const src of shapes.values()) if ('tensor' in src) fetches.push(src.tensor);
  return { layer: layerId, input, steps, skipped: skipped.reverse(), shapes, switches: switchNames, fetches: [...new Set(fetches)] };
}

/** Steps through which a tensor keeps the shape of the step's output. */
const SAME_SHAPE = new Set<ReverseStep['kind']>(['relu', 'identity', 'batchNormalizationScale', 'addBackward', 'gateScale']);

/**
 * Per-sample shapes: the image input's from the graph, every layer's from its tap. The only other
 * tensors on a path are MatMul outputs whose bias Add was folded into the layer: they take the
 * shape of the Add's output.
 */
function shapeSources(graph: GraphSummary, steps: ReverseStep[], layerId: string, ctx: PlanContext): Map<string, ShapeSource> {
  const tapped = new Set([layerId, ...graph.layers.map((l) => l.id)]);
  const { channels, height, width } = graph.input;
  const writer = new Map<string, ReverseStep>();
  for (const s of steps) for (const t of s.to) if (!writer.has(t)) writer.set(t, s);
  const shapes = new Map<string, ShapeSource>();
  const resolve = (t: string, via?: ReverseStep): ShapeSource => {
    const known = shapes.get(t);
    if (known) return known;
    let src: ShapeSource | null = null;
    if (t === ctx.input) src = { dims: [channels, height, width] };
    else if (tapped.has(t)) src = { tensor: t };
    else if (ctx.constants.has(t)) src = { dims: tensorDims(ctx.constants.get(t)!).slice(1) };
    else {
      const s = via ?? writer.get(t);
      if (s && SAME_SHAPE.has(s.kind)) src = resolve(s.from);
      if (!src) {
        throw badRequest(`the shape of "${t}"${s ? ` (an input of node "${s.node}")` : ''} is unknown: it is not a layer, so the forward pass does not tap it`, {
          layer: layerId,
          tensor: t,
        });
      }
    }
    shapes.set(t, src);
    return src;
  };
  resolve(layerId);
  for (const s of steps) {
    resolve(s.from);
    for (const t of s.to) resolve(t, s);
    if (s.kind === 'concatSplit') for (const p of s.parts) if (!p.onPath) resolve(p.tensor, s);
    if (s.kind === 'gateScale') resolve(s.gate);
  }
  return shapes;
}
