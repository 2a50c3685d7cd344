// What the runtime process sends the main side of an opened model: its graph summary without the
// weights the main side never reads (session-worker.ts answers with it).
import { create } from '@bufbuild/protobuf';
import { type TensorProto, TensorProtoSchema } from 'onnx-buf';
import { elementCount, type GraphSummary } from '../onnx/index.ts';
import type { GraphOutline } from './protocol.ts';

/**
 * The summary without the constants the main thread never reads: only the spine's Conv weights stay
 * (for spectra), read with `get` (a WeightsOnDisk reads them back from the file). With `firstOnly`
 * (an opened model, whose session can read the rest later) the other Conv weights go as their
 * shapes alone: ResNet18's are nearly all of its 47 MB, which cost the open their way to the main
 * process and stayed there. Constants of at most SMALL_CONSTANT elements go along.
 */
const SMALL_CONSTANT = 64;

export function outline(graph: GraphSummary, firstOnly = false): GraphOutline {
  const keep: string[] = [];
  for (const l of graph.layers) {
    if (l.op !== 'Conv') continue;
    const node = graph.nodes.find((n) => n.name === l.node);
    if (node?.inputs[1] && !keep.includes(node.inputs[1])) keep.push(node.inputs[1]);
  }
  const initializers = new Map<string, TensorProto>();
  keep.forEach((name, i) => {
    const t = graph.initializers.get(name);
    if (t) initializers.set(name, firstOnly && i > 0 ? withoutValues(t) : t);
  });
  // Small constants cost nothing to send and say how the model treats its input (a mean it subtracts
  // itself, a rescale): what the preprocessing checks read.
  for (const [name, t] of graph.initializers) if (!initializers.has(name) && elementCount(t) <= SMALL_CONSTANT) initializers.set(name, t);
  return { ...graph, initializers };
}

/** A tensor's name, type and dims, no values. */
function withoutValues(t: TensorProto): TensorProto {
  return create(TensorProtoSchema, { name: t.name, dims: t.dims, dataType: t.dataType });
}
