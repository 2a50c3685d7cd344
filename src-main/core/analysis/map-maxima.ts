// One pass over many images that keeps, per image and per feature map of the requested layers, only
// the map's maximum and where it is. Firing rates (issue 5) and top-k scans (issue 7) reduce this
// stream; nothing here grows with the folder beyond the current batch.
import { AppError } from '../../common/errors.ts';
import { mapDims, noMapsMessage } from '../../common/layers.ts';
import { quoted } from '../../common/text.ts';
import type { OutputTensor } from '../runtime/protocol.ts';
import type { BatchForward } from '../model/model-session.ts';

/** ModelSession.forward, or a pass from ModelSession.forwardAt. */
export type { BatchForward };

/** Per image of a batch, per map: the maximum and its flat position (y·W + x) in the map. */
export interface LayerMaxima {
  /** Maps per image (C; an fc layer of F units counts as F maps of 1×1). */
  channels: number;
  height: number;
  width: number;
  /** n × C maxima, image-major. */
  max: Float32Array;
  /** n × C flat argmax positions (first occurrence of the maximum). */
  argmax: Int32Array;
}

export interface MaximaBatch {
  /** Indices (into the `images` given to scanMapMaxima) of the images in this batch, in order. */
  indices: number[];
  layers: Record<string, LayerMaxima>;
}

export interface ScanFailure {
  index: number;
  message: string;
}

export interface ScanOptions {
  layers: string[];
  /** C×H×W input size of one image. */
  inputSize: number;
  /** Images per forward pass. */
  batchSize?: number;
  signal?: AbortSignal;
  /** Called after each batch with the number of images handled so far (failed ones included). */
  onProgress?: (done: number) => void;
  /** Images that fail to load are reported here and left out; the scan goes on. */
  onFailure?: (f: ScanFailure) => void;
}

/** Maxima and argmax of every map of one layer tensor (N×C×H×W, N×F or N×…). */
export function reduceMaps(t: OutputTensor, n: number, layer = 'the layer'): LayerMaxima {
  if (t.type !== 'float32') throw new AppError('MODEL_UNSUPPORTED', 'layer tensor is not float32');
  const dims = mapDims(t.dims);
  if (!dims) throw new AppError('MODEL_UNSUPPORTED', noMapsMessage(layer, t.dims), { layer });
  const [channels, height, width] = dims;
  const plane = height * width;
  const data = t.data;
  const max = new Float32Array(n * channels);
  const argmax = new Int32Array(n * channels);
  for (let m = 0; m < n * channels; m++) {
    const base = m * plane;
    let best = data[base];
    let at = 0;
    for (let i = 1; i < plane; i++) {
      const v = data[base + i];
      if (v > best) {
        best = v;
        at = i;
      }
    }
    max[m] = best;
    argmax[m] = at;
  }
  return { channels, height, width, max, argmax };
}

/**
 * Streams map maxima for `images` (anything `load` understands), a batch at a time. Loading the next
 * batch overlaps the current forward pass. Cancelling stops after the batch in flight.
 */
export async function* scanMapMaxima<T>(
  images: readonly T[],
  load: (image: T) => Promise<Float32Array>,
  forward: BatchForward,
  options: ScanOptions,
): AsyncGenerator<MaximaBatch> {
  const batchSize = Math.max(1, options.batchSize ?? 16);
  const { inputSize, layers, signal } = options;
  let done = 0;

  const loadBatch = async (start: number) => {
    const end = Math.min(images.length, start + batchSize);
    const results = await Promise.all(
      images.slice(start, end).map((img, j) =>
        load(img).then(
          (tensor) => ({ index: start + j, tensor, error: null }),
          (e: unknown) => ({ index: start + j, tensor: null, error: e instanceof Error ? e.message : String(e) }),
        ),
      ),
    );
    return { end, results };
  };

  let next = images.length > 0 ? loadBatch(0) : null;
  while (next) {
    if (signal?.aborted) throw new AppError('CANCELLED', 'scan cancelled');
    const { end, results } = await next;
    next = end < images.length ? loadBatch(end) : null;
    const ok = results.filter((r) => r.tensor !== null);
    for (const r of results) if (r.error !== null) options.onFailure?.({ index: r.index, message: r.error });
    if (ok.length > 0) {
      const batch = new Float32Array(ok.length * inputSize);
      ok.forEach((r, j) => {
        if (r.tensor!.length !== inputSize) throw new AppError('INPUT_MISMATCH', `image ${r.index}: expected ${inputSize} input values, got ${r.tensor!.length}`);
        batch.set(r.tensor!, j * inputSize);
      });
      const out = await forward(batch, ok.length, layers);
      const reduced: Record<string, LayerMaxima> = {};
      for (const l of layers) {
        const t = out[l];
        if (!t) throw new AppError('NOT_FOUND', `the model did not return layer ${quoted(l)}`, { layer: l });
        reduced[l] = reduceMaps(t, ok.length, l);
      }
      done = end;
      options.onProgress?.(done);
      yield { indices: ok.map((r) => r.index), layers: reduced };
    } else {
      done = end;
      options.onProgress?.(done);
    }
  }
}
