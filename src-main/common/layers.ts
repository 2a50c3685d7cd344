// Which tensor holds a layer's activations (DESIGN §3: "for a conv layer, the map after its ReLU").
// One rule for every analysis and view, core and renderer alike.
import type { LayerInfo } from './types.ts';

type LayerLike = Pick<LayerInfo, 'id' | 'op' | 'kind'>;

/** Ops that may stand between a conv/fc layer and its ReLU without changing what "after its ReLU" means. */
const BETWEEN_LAYER_AND_RELU = new Set(['BatchNormalization', 'Identity', 'Dropout']);

/**
 * The id of the layer that holds `id`'s activations: for a conv or fc layer, the ReLU (or LeakyReLU)
 * that follows it on the spine, through BatchNormalization / Identity / Dropout; otherwise `id`.
 * `layers` is the model's layer list in spine order.
 */
export function activationLayerId(layers: readonly LayerLike[], id: string): string {
  const i = layers.findIndex((l) => l.id === id);
  if (i < 0 || (layers[i].kind !== 'conv' && layers[i].kind !== 'fc')) return id;
  for (let j = i + 1; j < layers.length; j++) {
    if (layers[j].kind === 'relu') return layers[j].id;
    if (!BETWEEN_LAYER_AND_RELU.has(layers[j].op)) break;
  }
  return id;
}
