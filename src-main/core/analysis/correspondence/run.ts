// Correspondence over an opened model: the layers (default the paper's 5 and 7), the tensors read,
// checks that name the part and image at fault, batching, and the result the API and the CLI share.
import {
  DEFAULT_CORRESPONDENCE_SEED, DEFAULT_RANDOM_DRAWS, defaultCorrespondenceLayers, type CorrespondenceResult, type PartSpec,
} from '../../../common/api-correspondence.ts';
import { checkPartBoxes, partLabel } from '../../../common/correspondence-parts.ts';
import { AppError } from '../../../common/errors.ts';
import { activationLayerId } from '../../../common/layers.ts';
import { quoted } from '../../../common/text.ts';
import type { LayerInfo } from '../../../common/types.ts';
import type { ModelSession } from '../../model/model-session.ts';
import { correspondence, correspondenceTotal, type PartImages } from './correspondence.ts';
import { meanStd } from './delta.ts';

export interface CorrespondenceOptions {
  layers?: string[];
  draws?: number;
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** The tensor each layer's activations are read from (a conv or fc layer: the ReLU after it). */
export function correspondenceTensors(layers: readonly Pick<LayerInfo, 'id' | 'op' | 'kind'>[], ids: readonly string[], modelName: string): string[] {
  return ids.map((id) => {
    if (!layers.some((l) => l.id === id)) throw new AppError('NOT_FOUND', `${modelName} has no layer ${quoted(id)}`, { layer: id });
    return activationLayerId(layers, id);
  });
}

/** Inputs per forward pass: a part's inputs in one pass where they fit in about 4 M input values. */
export function correspondenceBatchSize(inputSize: number): number {
  return Math.max(1, Math.min(512, Math.floor(4_000_000 / inputSize)));
}

export { correspondenceTotal };

/**
 * Δ per part and layer and the random control. `load` gives an image's preprocessed tensor; a
 * failure is reported naming the part and the image, before any pass runs.
 */
export async function runCorrespondence(
  model: ModelSession, parts: readonly PartSpec[], load: (image: string) => Promise<Float32Array>, o: CorrespondenceOptions = {},
): Promise<CorrespondenceResult> {
  const t0 = performance.now();
  const { channels, height, width } = model.info.input;
  checkPartBoxes(parts, height, width);
  const layers = o.layers ?? defaultCorrespondenceLayers(model.info.layers);
  if (layers.length === 0) throw new AppError('INVALID_ARGUMENT', 'correspondence: give at least one layer');
  const tensors = correspondenceTensors(model.info.layers, layers, model.info.name);
  const draws = o.draws ?? DEFAULT_RANDOM_DRAWS;
  const seed = o.seed ?? DEFAULT_CORRESPONDENCE_SEED;
  o.onProgress?.(0, correspondenceTotal(parts, draws));

  const loaded: PartImages[] = [];
  for (const [i, p] of parts.entries()) {
    const images: Float32Array[] = [];
    for (const b of p.boxes) {
      if (o.signal?.aborted) throw new AppError('CANCELLED', 'correspondence cancelled');
      try {
        images.push(await load(b.image));
      } catch (e) {
        if ((e as AppError).code === 'CANCELLED') throw e;
        const err = e as AppError;
        throw new AppError(err.code ?? 'IMAGE_DECODE_FAILED', `${partLabel(p, i)}, image ${quoted(b.image)}: ${err.message ?? String(e)}`, { ...err.details, part: p.name, image: b.image });
      }
    }
    loaded.push({ name: p.name, images, boxes: p.boxes.map((b) => b.box) });
  }

  const d = await correspondence({
    parts: loaded,
    dims: [channels, height, width],
    forward: await model.forwardAt(tensors),
    tensors,
    draws,
    seed,
    batchSize: correspondenceBatchSize(channels * height * width),
    signal: o.signal,
    onProgress: o.onProgress,
  });
  const perLayer = <T>(f: (l: number) => T) => Object.fromEntries(layers.map((id, l) => [id, f(l)]));
  return {
    layers,
    parts: parts.map((p, i) => ({
      name: p.name, images: p.boxes.length, delta: perLayer((l) => d.parts[i][l]), random: perLayer((l) => meanStd(d.partRandom[i].map((r) => r[l]))),
    })),
    random: { draws, seed, delta: perLayer((l) => meanStd(d.random.map((r) => r[l]))) },
    ms: performance.now() - t0,
  };
}
