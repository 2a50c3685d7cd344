// The top-k scan: one streaming pass (scanMapMaxima) over the images some layer still needs,
// reduced into each layer's state. A cancelled pass leaves every state holding what it has counted,
// so the next scan only does the rest (resume), exactly as for images added to the folder.
import { scanMapMaxima, type BatchForward } from '../map-maxima.ts';
import type { OutputTensor } from '../../runtime/protocol.ts';
import { addFailure, addImage, diffListing, type LayerTopkState, type ListedImage } from './state.ts';

export interface TopkScanOptions {
  /** C×H×W of one input. */
  inputSize: number;
  batchSize?: number;
  signal?: AbortSignal;
  /** Images handled so far out of those this pass needs. */
  onProgress?: (done: number, total: number) => void;
  /** Fetched in the same passes and handed to `onAlso` whole (ModelSession output names). */
  also?: string[];
  /** Scanned tensors whose per-map means the scan also computes (a probe's features), handed to `onAlso`. */
  means?: string[];
  /** The `also` tensors of each batch and the `means` (n × C) of the scanned ones, with the images of its rows in order. */
  onAlso?: (images: ListedImage[], tensors: Record<string, OutputTensor>, means: Record<string, Float32Array>) => void;
  /** Awaited after each batch is counted into the states (the checkpoint hook: states are consistent here). */
  afterBatch?: () => Promise<void>;
}

export interface TopkScanOutcome {
  /** Images this pass ran through the model. */
  scanned: number;
  /** Of those, how many failed to load. */
  failed: number;
}

/**
 * Brings every state up to date with `listing`. States must already be reset if they hold images
 * that are gone or changed (see `diffListing().stale`); this only adds.
 */
export async function scanTopk(
  states: readonly LayerTopkState[],
  listing: readonly ListedImage[],
  load: (image: ListedImage) => Promise<Float32Array>,
  forward: BatchForward,
  options: TopkScanOptions,
): Promise<TopkScanOutcome> {
  const needs = states.map((s) => new Set(diffListing(s, listing).todo.map((i) => i.path)));
  // The union, in listing order: a layer that already has an image simply skips it.
  const todo = listing.filter((i) => needs.some((n) => n.has(i.path)));
  const active = states.filter((_, i) => needs[i].size > 0);
  if (todo.length === 0) return { scanned: 0, failed: 0 };
  const tensors = [...new Set(active.map((s) => s.tensor))];
  let failed = 0;
  const stream = scanMapMaxima(todo, load, forward, {
    layers: tensors,
    also: options.also,
    means: options.means,
    inputSize: options.inputSize,
    batchSize: options.batchSize,
    signal: options.signal,
    onProgress: (done) => options.onProgress?.(done, todo.length),
    onFailure: (f) => {
      failed++;
      const image = todo[f.index];
      states.forEach((s, i) => needs[i].has(image.path) && addFailure(s, image, f.message));
    },
  });
  for await (const batch of stream) {
    batch.indices.forEach((index, j) => {
      const image = todo[index];
      states.forEach((s, i) => needs[i].has(image.path) && addImage(s, batch.layers[s.tensor], j, image));
    });
    if (options.onAlso) {
      const means = Object.fromEntries(Object.entries(batch.layers).flatMap(([t, l]) => (l.mean ? [[t, l.mean]] : [])));
      options.onAlso(batch.indices.map((i) => todo[i]), batch.also, means);
    }
    await options.afterBatch?.();
  }
  return { scanned: todo.length, failed };
}
