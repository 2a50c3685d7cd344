// Which layer the layer browser starts on, and a layer's maps as C×H×W.
import type { LayerInfo } from '../../src-main/common/types.ts';

/** A layer's output as maps: [1, C, H, W] → [C, H, W]; an fc layer [1, F] → F maps of 1×1. */
export function mapDims(layer: Pick<LayerInfo, 'shape'>): [number, number, number] | null {
  const s = layer.shape;
  if (s.length === 4) return [s[1], s[2], s[3]];
  if (s.length === 2) return [s[1], 1, 1];
  return null;
}

function spatial(layer: LayerInfo): boolean {
  const d = mapDims(layer);
  return d !== null && layer.shape.length === 4 && d[1] * d[2] > 1;
}

/** Ops that may sit between a convolution and its ReLU without changing what the ReLU's maps mean. */
const BETWEEN_CONV_AND_RELU = new Set(['BatchNormalization', 'Identity', 'Dropout']);

/**
 * The layer to open first: the last ReLU that rectifies a convolution (conv5's ReLU in the paper's
 * model; DESIGN §3 reads a conv layer's activations after its ReLU), as its maps are the most
 * interesting to project; else the first conv layer; else the first layer with spatial maps; else the first.
 */
export function defaultLayer(layers: readonly LayerInfo[]): string | null {
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i];
    if (l.kind !== 'relu' || !spatial(l)) continue;
    let j = i - 1;
    while (j >= 0 && BETWEEN_CONV_AND_RELU.has(layers[j].op)) j--;
    if (j >= 0 && layers[j].kind === 'conv') return l.id;
  }
  return (layers.find((l) => l.kind === 'conv') ?? layers.find(spatial) ?? layers[0])?.id ?? null;
}
