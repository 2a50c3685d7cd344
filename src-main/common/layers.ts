// Which tensor holds a layer's activations (DESIGN §3: "for a conv layer, the map after its ReLU").
// One rule for every analysis and view, core and renderer alike.
import { quoted } from './text.ts';
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

/**
 * One sample of a layer tensor as C maps of H×W, from the tensor's shape (batch first):
 * N×C×H×W → [C, H, W]; N×C×L → [C, 1, L]; N×F (an fc layer) → [F, 1, 1]; null for other ranks.
 * Every reader of maps (views, scans, occlusion, the deconv start signal) goes through this one rule.
 */
export function mapDims(shape: readonly number[]): [number, number, number] | null {
  if (shape.length === 4) return [shape[1], shape[2], shape[3]];
  if (shape.length === 3) return [shape[1], 1, shape[2]];
  if (shape.length === 2) return [shape[1], 1, 1];
  return null;
}

/** What to say of a layer whose tensor has no map layout. */
export function noMapsMessage(layer: string, shape: readonly number[]): string {
  return `layer ${quoted(layer)} is [${shape.join('×')}]: Convscope reads maps of N×C×H×W, N×C×L or N×F layers`;
}
