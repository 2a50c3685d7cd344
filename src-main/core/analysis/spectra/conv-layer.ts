// Which conv layers a model has, and the weights, strides and groups of one of them, read from the
// parsed graph alone (no session): spectra need only the weights.
import { AppError } from '../../../common/errors.ts';
import { quoted, truncateText } from '../../../common/text.ts';
import { activationLayerId } from '../../../common/layers.ts';
import type { GraphSummary } from '../../onnx/index.ts';
import { tensorDims, tensorToFloat32 } from '../../onnx/index.ts';
import type { ConvFilters } from './spectra.ts';
import type { ConvLayerRef } from '../../../common/api-spectra.ts';

export type { ConvLayerRef };

const pairAttr = (v: unknown, d: [number, number]): [number, number] =>
  Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number') ? [v[0] as number, v[1] as number] : d;

/** The model's 2-D Conv layers on the spine, in order, with their geometry. */
export function convLayers(graph: GraphSummary, modelName: string): ConvLayerRef[] {
  const out: ConvLayerRef[] = [];
  for (const l of graph.layers) {
    if (l.op !== 'Conv') continue;
    const node = graph.nodes.find((n) => n.name === l.node);
    if (!node) continue;
    const w = graph.initializers.get(node.inputs[1]);
    if (!w) throw new AppError('MODEL_UNSUPPORTED', `${modelName}: the weights of conv node "${node.name}" (input "${node.inputs[1]}") are not a constant tensor`, { layer: l.id, node: node.name });
    const dims = tensorDims(w);
    if (dims.length !== 4) continue; // 1-D or 3-D convolutions have no image-plane spectrum
    out.push({
      id: l.id,
      node: node.name,
      kernel: [dims[2], dims[3]],
      stride: pairAttr(node.attrs.strides, [1, 1]),
      dilation: pairAttr(node.attrs.dilations, [1, 1]),
      groups: typeof node.attrs.group === 'number' ? node.attrs.group : 1,
      filters: dims[0],
      channels: dims[1],
      activation: activationLayerId(graph.layers, l.id),
    });
  }
  return out;
}

/** A conv layer by layer id or node name; default the first. */
export function resolveConvLayer(graph: GraphSummary, modelName: string, layer?: string): ConvLayerRef {
  const all = convLayers(graph, modelName);
  if (all.length === 0) throw new AppError('MODEL_UNSUPPORTED', `${modelName} has no 2-D Conv layer`);
  if (layer === undefined || layer === '') return all[0];
  const hit = all.find((l) => l.id === layer) ?? all.find((l) => l.node === layer);
  if (hit) return hit;
  const other = graph.layers.find((l) => l.id === layer || l.node === layer);
  const why = other ? `is a ${other.op} layer, not a Conv` : 'is not a layer of the model';
  throw new AppError('NOT_FOUND', `${modelName}: ${quoted(layer)} ${why}; conv layers: ${truncateText(all.map((l) => l.id).join(', '), 300)}`, { layer });
}

export function convFilters(graph: GraphSummary, ref: ConvLayerRef, modelName: string): ConvFilters {
  const node = graph.nodes.find((n) => n.name === ref.node)!;
  const t = graph.initializers.get(node.inputs[1])!;
  let weights: Float32Array;
  try {
    weights = tensorToFloat32(t);
  } catch (e) {
    throw new AppError('MODEL_UNSUPPORTED', `${modelName}: weights of conv node "${ref.node}": ${(e as Error).message}`, { layer: ref.id, node: ref.node });
  }
  return { weights, dims: [ref.filters, ref.channels, ref.kernel[0], ref.kernel[1]], stride: ref.stride, dilation: ref.dilation };
}
