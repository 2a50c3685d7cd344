// Probe features gathered in one pass over the images for every chosen layer (DESIGN §3 "Linear
// probe"): each layer's per-channel spatial mean, reduced in the runtime process by a copy of the
// model that outputs just those means besides its class scores (core/onnx/with-means.ts). Loading
// the next batch overlaps the forward pass of the current one.
import { AppError } from '../../../common/errors.ts';
import { quoted } from '../../../common/text.ts';
import { meanOutputs } from '../../onnx/index.ts';
import type { ModelSession } from '../../model/model-session.ts';

export interface GatheredFeatures {
  /** Per tensor (in the order asked): n × F features, row-major, rows in image order. */
  features: Float32Array[];
  /** F per tensor. */
  widths: number[];
  /** The model's top-1 class per image (−1 where the image failed to load). */
  top1: Int32Array;
  /** Images that failed to load, by index, with why. */
  failures: { index: number; reason: string }[];
}

export interface GatherOptions {
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** The top-1 class of row `j` of `n` rows of class scores (the first of equal scores). */
export function topClass(scores: Float32Array, n: number, j: number): number {
  const C = scores.length / n;
  let best = 0;
  for (let c = 1; c < C; c++) if (scores[j * C + c] > scores[j * C + best]) best = c;
  return best;
}

const cancelled = () => new AppError('CANCELLED', 'probe: cancelled');

/**
 * Runs `count` images (by index, through `load`: a C×H×W preprocessed input) through the model once
 * and keeps each tensor's means and the top-1 class. Rows of images that failed to load stay zero.
 */
export async function gatherFeatures(model: ModelSession, tensors: readonly string[], count: number, load: (index: number) => Promise<Float32Array>, o: GatherOptions = {}): Promise<GatheredFeatures> {
  const { channels, height, width } = model.info.input;
  const inputSize = channels * height * width;
  const batchSize = Math.max(1, o.batchSize ?? Math.min(32, Math.floor(4_000_000 / inputSize) || 1));
  const output = model.info.outputs[0].name;
  const names = meanOutputs(tensors);
  const forward = await model.variantForward({ kind: 'means', layers: [...tensors] });
  const features: Float32Array[] = [];
  const widths: number[] = [];
  const top1 = new Int32Array(count).fill(-1);
  const failures: GatheredFeatures['failures'] = [];

  const loadBatch = (start: number) => {
    const end = Math.min(count, start + batchSize);
    return Promise.all(Array.from({ length: end - start }, (_, j) => load(start + j).then(
      (t) => ({ index: start + j, tensor: t as Float32Array | null, reason: '' }),
      (e: unknown) => ({ index: start + j, tensor: null, reason: e instanceof Error ? e.message : String(e) }),
    )));
  };

  let next = count > 0 ? loadBatch(0) : null;
  for (let start = 0; next; start += batchSize) {
    if (o.signal?.aborted) throw cancelled();
    const loaded = await next;
    next = start + batchSize < count ? loadBatch(start + batchSize) : null;
    const ok = loaded.filter((l) => l.tensor);
    for (const l of loaded) if (!l.tensor) failures.push({ index: l.index, reason: l.reason });
    if (ok.length) {
      const batch = new Float32Array(ok.length * inputSize);
      ok.forEach((l, j) => {
        if (l.tensor!.length !== inputSize) throw new AppError('INPUT_MISMATCH', `image ${l.index}: expected ${inputSize} input values, got ${l.tensor!.length}`);
        batch.set(l.tensor!, j * inputSize);
      });
      const out = await forward(batch, ok.length, [output, ...names]);
      names.forEach((name, t) => {
        const m = out[name];
        if (!m || m.type !== 'float32' || m.dims.length !== 2) throw new AppError('MODEL_UNSUPPORTED', `layer ${quoted(tensors[t])}: its means came back as [${m?.dims.join('×')}], not N×C`, { layer: tensors[t] });
        if (!features[t]) {
          widths[t] = m.dims[1];
          features[t] = new Float32Array(count * widths[t]);
        }
        const F = widths[t];
        ok.forEach((l, j) => features[t].set(m.data.subarray(j * F, (j + 1) * F) as Float32Array, l.index * F));
      });
      const scores = out[output].data as Float32Array;
      ok.forEach((l, j) => (top1[l.index] = topClass(scores, ok.length, j)));
    }
    o.onProgress?.(Math.min(count, start + batchSize), count);
  }
  // Every image failed: no widths were seen.
  tensors.forEach((_, t) => {
    features[t] ??= new Float32Array(0);
    widths[t] ??= 0;
  });
  return { features, widths, top1, failures };
}
