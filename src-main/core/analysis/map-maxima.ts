// One pass over many images that keeps, per image and per feature map of the requested layers, only
// the map's maximum and where it is. Firing rates (issue 5) and top-k scans (issue 7) reduce this
// stream; nothing here grows with the folder beyond the current batch.
import { AppError } from '../../common/errors.ts';
import { quoted } from '../../common/text.ts';
import type { OutputTensor } from '../runtime/protocol.ts';
import type { BatchForward } from '../model/model-session.ts';
import { analysisPool } from './compute.ts';
import type { LayerMaxima } from './reduce-maps.ts';

/** ModelSession.forward, or a pass from ModelSession.forwardAt. */
export type { BatchForward };
export { reduceMaps, type LayerMaxima } from './reduce-maps.ts';

export interface MaximaBatch {
  /** Indices (into the `images` given to scanMapMaxima) of the images in this batch, in order. */
  indices: number[];
  layers: Record<string, LayerMaxima>;
  /** The tensors of `ScanOptions.also`, as the forward pass returned them (batch first). */
  also: Record<string, OutputTensor>;
}

export interface ScanFailure {
  index: number;
  message: string;
}

export interface ScanOptions {
  layers: string[];
  /** Tensors fetched in the same pass and handed out whole, not reduced (the class scores, say). */
  also?: string[];
  /** Of `layers`, those whose per-map means the reduction adds (`LayerMaxima.mean`: a probe's features). */
  means?: string[];
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

/**
 * Images per forward pass: at most 16 and about 4 M input values, and for a small folder few enough
 * that the scan takes some 10 passes, so its progress moves (AlexNet, 40 images: 4 a pass, not 16).
 */
export function defaultBatchSize(inputSize: number, images = Infinity): number {
  return Math.max(1, Math.min(16, Math.floor(4_000_000 / inputSize), Math.ceil(images / 10)));
}

/**
 * Streams map maxima for `images` (anything `load` understands), a batch at a time. Three stages
 * overlap: loading batch k+1, the forward pass of batch k (in the runtime process) and the reduction
 * of batch k−1 (in a compute worker) with whatever the caller does with it. Forward passes run one
 * at a time, in order. Their outputs are the scan's: their buffers move to the worker. Cancelling
 * stops after the batch in flight.
 */
export async function* scanMapMaxima<T>(
  images: readonly T[],
  load: (image: T) => Promise<Float32Array>,
  forward: BatchForward,
  options: ScanOptions,
): AsyncGenerator<MaximaBatch> {
  const batchSize = Math.max(1, options.batchSize ?? defaultBatchSize(options.inputSize, images.length));
  const { inputSize, layers, signal } = options;
  const also = (options.also ?? []).filter((t) => !layers.includes(t));

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

  interface Step {
    end: number;
    failures: ScanFailure[];
    /** The batch's maxima; null when none of its images loaded. */
    result: Promise<MaximaBatch> | null;
  }

  // Settles (never rejects) once the latest forward pass is over: the next one starts then.
  let forwarded: Promise<void> = Promise.resolve();
  const pass = (ok: { index: number; tensor: Float32Array }[]): Promise<MaximaBatch> => {
    const before = forwarded;
    const out = (async () => {
      const batch = new Float32Array(ok.length * inputSize);
      ok.forEach((r, j) => {
        if (r.tensor.length !== inputSize) throw new AppError('INPUT_MISMATCH', `image ${r.index}: expected ${inputSize} input values, got ${r.tensor.length}`);
        batch.set(r.tensor, j * inputSize);
      });
      await before;
      if (signal?.aborted) throw new AppError('CANCELLED', 'scan cancelled');
      return forward(batch, ok.length, also.length ? [...layers, ...also] : layers);
    })();
    forwarded = out.then(
      () => {},
      () => {},
    );
    const result = out.then(async (o) => {
      // Copied before the reduction moves the scanned tensors' buffers to the worker: the outputs of
      // a pass arrive as views of one frame (runtime/frames.ts), so a view kept would be detached with them.
      for (const t of also) if (!o[t]) throw new AppError('NOT_FOUND', `the model did not return tensor ${quoted(t)}`, { layer: t });
      const kept = Object.fromEntries(also.map((t) => [t, { ...o[t], data: o[t].data.slice() } as OutputTensor]));
      return { indices: ok.map((r) => r.index), layers: await reduce(o, ok.length), also: kept };
    });
    // Handled now, thrown when the batch's turn comes: a failure must not go unhandled meanwhile.
    result.catch(() => {});
    return result;
  };

  const reduce = (out: Record<string, OutputTensor>, n: number): Promise<Record<string, LayerMaxima>> => {
    const tensors: Record<string, OutputTensor> = {};
    for (const l of layers) {
      const t = out[l];
      if (!t) throw new AppError('NOT_FOUND', `the model did not return layer ${quoted(l)}`, { layer: l });
      tensors[l] = t;
    }
    const transfer = new Set(Object.values(tensors).flatMap((t) => (t.data.buffer instanceof ArrayBuffer ? [t.data.buffer] : [])));
    const means = options.means?.filter((l) => layers.includes(l));
    return analysisPool().run('reduceMaps', { tensors, n, ...(means?.length ? { means } : {}) }, { signal, transfer: [...transfer] });
  };

  // A reduction cancelled with the scan says so in the scan's words.
  const cancelledOr = (e: unknown): never => {
    throw signal?.aborted ? new AppError('CANCELLED', 'scan cancelled') : e;
  };

  let next = images.length > 0 ? loadBatch(0) : null;
  let previous: Step | null = null;
  while (next || previous) {
    if (signal?.aborted) throw new AppError('CANCELLED', 'scan cancelled');
    let step: Step | null = null;
    if (next) {
      const { end, results } = await next;
      next = end < images.length ? loadBatch(end) : null;
      const ok = results.flatMap((r) => (r.tensor !== null ? [{ index: r.index, tensor: r.tensor }] : []));
      const failures = results.flatMap((r) => (r.error !== null ? [{ index: r.index, message: r.error }] : []));
      step = { end, failures, result: ok.length > 0 ? pass(ok) : null };
    }
    // The batch before this one is handed out while this one's forward pass runs. Its failures and
    // progress are reported just before, as when the stages did not overlap.
    if (previous) {
      for (const f of previous.failures) options.onFailure?.(f);
      const batch = previous.result ? await previous.result.catch(cancelledOr) : null;
      options.onProgress?.(previous.end);
      if (batch) yield batch;
    }
    previous = step;
  }
}
