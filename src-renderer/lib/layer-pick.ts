// Which layer the layer browser starts on. A layer's maps (mapDims) and which tensor holds a conv
// layer's activations (activationLayerId) are the core's own rules, from common/layers.ts.
import { activationLayerId, mapDims } from '../../src-main/common/layers.ts';
import type { LayerInfo } from '../../src-main/common/types.ts';

export { mapDims };

function spatial(layer: LayerInfo): boolean {
  const d = mapDims(layer.shape);
  return d !== null && layer.shape.length === 4 && d[1] * d[2] > 1;
}

/**
 * The layer to open first: the ReLU of the last convolution that has one with spatial maps (conv5's
 * ReLU in the paper's model; DESIGN §3 reads a conv layer's activations after its ReLU), as its maps
 * are the most interesting to project; else the first conv layer; else the first layer with spatial
 * maps; else the first.
 */
export function defaultLayer(layers: readonly LayerInfo[]): string | null {
  for (let i = layers.length - 1; i >= 0; i--) {
    if (layers[i].kind !== 'conv') continue;
    const id = activationLayerId(layers, layers[i].id);
    const act = layers.find((l) => l.id === id)!;
    if (id !== layers[i].id && act.kind === 'relu' && spatial(act)) return id;
  }
  return (layers.find((l) => l.kind === 'conv') ?? layers.find(spatial) ?? layers[0])?.id ?? null;
}
