// Which tensor a top-k scan reads for a layer. DESIGN §3: the activations of a conv layer are the
// map after its ReLU (activationLayerId).
import { AppError } from '../../../common/errors.ts';
import { activationLayerId, mapDims, noMapsMessage } from '../../../common/layers.ts';
import { quoted } from '../../../common/text.ts';
import type { LayerInfo } from '../../../common/types.ts';

export interface ScanLayer {
  /** The layer as the user named it. */
  layer: string;
  /** The tensor read: the layer itself, or the ReLU after a conv layer. */
  tensor: string;
  /** C×H×W of the tensor for one image (an fc layer of F units: F×1×1). */
  dims: [number, number, number];
}

/**
 * The tensors a scan of `ids` reads (a conv layer after its ReLU), from the graph alone: what a CLI
 * command taps before a session measured any shape. resolveScanLayer reads the same tensor.
 */
export function scanTensors(layers: readonly Pick<LayerInfo, 'id' | 'op' | 'kind'>[], ids: readonly string[], modelName: string): string[] {
  return ids.map((id) => {
    const info = layers.find((l) => l.id === id);
    if (!info) throw new AppError('NOT_FOUND', `${modelName} has no layer ${quoted(id)}`, { layer: id });
    return info.kind === 'conv' ? activationLayerId(layers, id) : id;
  });
}

export function resolveScanLayer(layers: readonly LayerInfo[], id: string, modelName: string): ScanLayer {
  const [tensor] = scanTensors(layers, [id], modelName);
  const shape = layers.find((l) => l.id === tensor)!.shape;
  if (shape.length === 0) throw new AppError('MODEL_UNSUPPORTED', `layer ${quoted(id)} has no measured shape`, { layer: id });
  const dims = mapDims(shape);
  if (!dims) throw new AppError('MODEL_UNSUPPORTED', noMapsMessage(tensor, shape), { layer: id });
  return { layer: id, tensor, dims };
}

/** Every conv layer of the model (read after its ReLU): the "all conv layers" scan. */
export function convLayerIds(layers: readonly Pick<LayerInfo, 'id' | 'kind'>[]): string[] {
  return layers.filter((l) => l.kind === 'conv').map((l) => l.id);
}

/** The last conv layer, for occlusion's default feature map. */
export function lastConvLayerId(layers: readonly Pick<LayerInfo, 'id' | 'kind'>[]): string | null {
  const convs = convLayerIds(layers);
  return convs.length ? convs[convs.length - 1] : null;
}
