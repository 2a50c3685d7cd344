// Channels-last models (DESIGN §3 "Modern activations and layouts"). Keras and tf2onnx export an
// image input N×H×W×C that a Transpose turns into N×C×H×W before the first Conv. Everything in
// Convscope works in C×H×W — preprocessing, layer maps, projections, occlusion boxes, transforms —
// so such a model is rewritten where it is parsed: its input becomes N×C×H×W and the leading
// Transposes go. The session then takes what every other model takes, each analysis runs
// unchanged, and the weights (Conv's OIHW, the dense layers') are untouched. The model's own
// layout stays in its metadata, so the graph summary, `info`, the sidecar and `--tensor` use it.
import { create } from '@bufbuild/protobuf';
import { type GraphProto, type ModelProto, type NodeProto, StringStringEntryProtoSchema, type TensorShapeProto } from 'onnx-buf';
import type { Dim } from '../../common/types.ts';
import { attrValue } from './nodes.ts';

export type InputLayout = 'NCHW' | 'NHWC';

/** Metadata key of the input's own layout, written by channelsFirst (absent: NCHW). */
export const LAYOUT_KEY = 'convscope.input_layout';

/** Transpose's perm from N×H×W×C to N×C×H×W. */
const TO_CHANNELS_FIRST = [0, 3, 1, 2];

export function inputLayout(model: ModelProto): InputLayout {
  return model.metadataProps.some((p) => p.key === LAYOUT_KEY && p.value === 'NHWC') ? 'NHWC' : 'NCHW';
}

/** The model's own dims of an input whose (rewritten) dims are N×C×H×W. */
export function ownDims(dims: Dim[], layout: InputLayout): Dim[] {
  return layout === 'NHWC' && dims.length === 4 ? [dims[0], dims[2], dims[3], dims[1]] : dims;
}

/** The one graph input that is not an initializer, when it is a rank-4 tensor: its name and shape. */
function rank4Input(graph: GraphProto): { name: string; shape: TensorShapeProto } | null {
  const weights = new Set(graph.initializer.map((t) => t.name));
  const real = graph.input.filter((v) => !weights.has(v.name));
  if (real.length !== 1) return null;
  const shape = real[0].type?.value.case === 'tensorType' ? real[0].type.value.value.shape : undefined;
  return shape?.dim.length === 4 ? { name: real[0].name, shape } : null;
}

function perm(n: NodeProto): number[] | null {
  const a = n.attribute.find((x) => x.name === 'perm');
  const v = a ? attrValue(a) : null;
  return Array.isArray(v) ? (v as number[]) : null;
}

const isToChannelsFirst = (n: NodeProto): boolean =>
  n.opType === 'Transpose' && (n.domain === '' || n.domain === 'ai.onnx') && n.output.length === 1 && perm(n)?.join() === TO_CHANNELS_FIRST.join();

/** Every graph nested in `graph`'s nodes (If/Loop/Scan bodies), at any depth. */
function subgraphs(graph: GraphProto): GraphProto[] {
  const out: GraphProto[] = [];
  for (const n of graph.node) {
    for (const a of n.attribute) {
      for (const g of [...(a.g ? [a.g] : []), ...a.graphs]) out.push(g, ...subgraphs(g));
    }
  }
  return out;
}

/**
 * Rewrites `model` in place when its image input is N×H×W×C and read only by Transposes to
 * N×C×H×W (perm [0, 3, 1, 2]): the input becomes N×C×H×W, the Transposes go and their readers
 * read the input. Returns whether it did. Anything else is left as it is, for analyzeGraph to
 * accept (N×C×H×W) or refuse with channelsLastHint.
 */
export function channelsFirst(model: ModelProto): boolean {
  const graph = model.graph;
  if (!graph || inputLayout(model) === 'NHWC') return false;
  const input = rank4Input(graph);
  if (!input) return false;
  const readers = graph.node.filter((n) => n.input.includes(input.name));
  if (readers.length === 0 || !readers.every(isToChannelsFirst)) return false;
  const gone = new Set(readers.flatMap((n) => n.output));
  const nested = subgraphs(graph);
  // A body reading the input (or a graph output naming a Transpose's result) would need the Transpose kept.
  if (nested.some((g) => g.node.some((n) => n.input.includes(input.name)))) return false;
  if (graph.output.some((o) => o.name === input.name || gone.has(o.name))) return false;

  const [n, h, w, c] = input.shape.dim;
  input.shape.dim = [n, c, h, w];
  graph.node = graph.node.filter((x) => !readers.includes(x));
  for (const g of [graph, ...nested]) {
    for (const x of g.node) x.input = x.input.map((t) => (gone.has(t) ? input.name : t));
  }
  graph.valueInfo = graph.valueInfo.filter((v) => !gone.has(v.name));
  model.metadataProps.push(create(StringStringEntryProtoSchema, { key: LAYOUT_KEY, value: 'NHWC' }));
  return true;
}

/**
 * For an input that looks N×H×W×C but was not rewritten: what Convscope needs of it, and what
 * reads it instead. Empty when the input does not look channels-last.
 */
export function channelsLastHint(graph: GraphProto, input: string, dims: Dim[]): string {
  if (dims.length !== 4 || (dims[3] !== 1 && dims[3] !== 3) || dims[1] === 1 || dims[1] === 3) return '';
  const readers = graph.node.filter((n) => n.input.includes(input));
  const which = readers.slice(0, 3).map((n) => {
    const p = n.opType === 'Transpose' ? perm(n) : null;
    return `${n.opType}${p ? ` (perm [${p.join(', ')}])` : ''} "${n.name}"`;
  });
  const more = readers.length > 3 ? ` and ${readers.length - 3} more` : '';
  const read = readers.length ? `; here it is read by ${which.join(', ')}${more}` : '';
  return `. It looks N×H×W×C (channels last): Convscope takes that layout when every node reading the input is a Transpose to N×C×H×W (perm [0, 3, 1, 2]), as tf2onnx and Keras export it${read}`;
}
