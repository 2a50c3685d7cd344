// The invariance sweep of Fig. 5 (DESIGN §3): an image and its transformed versions T_θ x run
// batched through the model; per requested layer the distance of the feature vector to the
// untransformed image's, and P(true class) and the top-1 class at every θ.
//
// Every batch has the untransformed image x as row 0, so a batch's forward pass can report each
// row's feature distance to x by itself: in JavaScript over the fetched layer tensors
// (`layerDistances`), or inside the model's graph (layer-taps.ts), which then returns a few numbers
// per row instead of whole layers.
//
// Pipelined: the forward pass of one batch runs in the runtime's worker while this thread builds the
// next batch (transforms) and reduces the previous one (distances), so the JavaScript work hides
// behind inference instead of adding to it.
import type { InvarianceImageResult, TransformKind } from '../../../common/api-invariance.ts';
import { AppError } from '../../../common/errors.ts';
import { isIdentityTransform, matchClassToLabel, transformPlanes } from '../../images/index.ts';
import { throwIfCancelled } from '../../jobs/jobs.ts';
import type { BatchForward } from '../map-maxima.ts';
import { argmax, rowProbabilities } from '../../model/scores.ts';
import { euclidean, floatData, l2norm, normalizedDistance, rowSize } from './distances.ts';

export interface SweepSpec {
  transform: TransformKind;
  thetas: number[];
  layers: string[];
  /** The output already holds probabilities (ends in Softmax). */
  outputIsProbability: boolean;
  /** C, H, W of one input. */
  dims: [number, number, number];
  /** Inputs per forward pass (default 64). */
  batchSize?: number;
  signal?: AbortSignal;
  /** After each forward pass: how many transformed inputs (steps θ, x itself not counted) it held. */
  onSteps?: (steps: number) => void;
}

/** The steps of one image a sweep runs: θ that are not the identity (those reuse x). */
export function sweepSteps(spec: Pick<SweepSpec, 'transform' | 'thetas'>): number {
  return spec.thetas.filter((theta) => !isIdentityTransform(spec.transform, theta)).length;
}

/** Input values (C·H·W) from which a sweep splits each image into passes: 3×128×128. */
const SPLIT_FROM_VALUES = 3 * 128 * 128;

/**
 * Inputs per forward pass (at most 64). On a model whose input has at least 3×128×128 values (a
 * real-size model, where one image's sweep takes seconds), one image's steps go in about 4 passes,
 * so the sweep's progress moves; each pass repeats x, about 12% more work on 25 steps. On smaller
 * inputs a sweep is quick, and an image's steps go in one pass.
 */
export function sweepBatchSize(steps: number, inputValues: number): number {
  if (inputValues < SPLIT_FROM_VALUES) return Math.min(64, 1 + Math.max(1, steps));
  return Math.min(64, 1 + Math.max(4, Math.ceil(steps / 4)));
}

/** One image's sweep: the contract's result without the image's path and label. */
export type ImageSweep = Omit<InvarianceImageResult, 'path' | 'trueClass'>;

/** What a sweep needs of one batch whose row 0 is x: per layer and row ‖φ(row) − φ(x)‖, ‖φ(x)‖, and the class scores. */
export interface SweepBatchOutput {
  /** N × classes, row-major. */
  scores: Float32Array;
  classes: number;
  distance: Record<string, Float64Array>;
  norm: Record<string, number>;
}

export type SweepForward = (batch: Float32Array, n: number) => Promise<SweepBatchOutput>;

/** A sweep forward pass that fetches the layers' activations and reduces them here. */
export function layerDistances(forward: BatchForward, layers: string[], output: string): SweepForward {
  const fetches = [...new Set([...layers, output])];
  return async (batch, n) => {
    const out = await forward(batch, n, fetches);
    const distance: Record<string, Float64Array> = {};
    const norm: Record<string, number> = {};
    for (const l of layers) {
      const data = floatData(out[l], l);
      const size = rowSize(out[l]);
      const d = new Float64Array(n);
      for (let r = 1; r < n; r++) d[r] = euclidean(data, r * size, data, 0, size);
      distance[l] = d;
      norm[l] = l2norm(data, 0, size);
    }
    return { scores: floatData(out[output], output), classes: rowSize(out[output]), distance, norm };
  };
}

/** One image to sweep: the preprocessed tensor (C×H×W) and the true class if known. */
export interface SweepInput {
  x: Float32Array;
  trueIndex: number | null;
}

/** The model input T_θ x: the preprocessed tensor transformed with the mean colour (0) as fill. */
export function transformInput(x: Float32Array, dims: [number, number, number], kind: TransformKind, theta: number, out?: Float32Array): Float32Array {
  return transformPlanes(x, dims[0], dims[1], dims[2], kind, theta, 0, out);
}

/**
 * The class index a folder name stands for, if it names one of the model's classes (DESIGN §2's
 * ImageFolder convention); null otherwise.
 */
export function folderClass(className: string | null, labels: string[] | null, numClasses: number): number | null {
  if (className === null) return null;
  const i = matchClassToLabel(className, labels);
  return i !== null && i < numClasses ? i : null;
}

/**
 * Collects one image's sweep from its batches, in order. Row 0 of the first batch is x itself,
 * whose activations are the reference. A θ whose transform is the identity (θ = 0, scale 1, a
 * multiple of 360°) is x itself and is not run: it takes the reference's output, and its distance
 * is exactly 0 — not whatever rounding another row position in a batched kernel might give.
 */
class SweepAccumulator {
  private readonly result: ImageSweep;
  private refProbs: Float64Array | null = null;

  constructor(private readonly spec: SweepSpec, private readonly given: number | null) {
    const T = spec.thetas.length;
    this.result = {
      trueIndex: given ?? -1,
      trueFrom: 'folder',
      distance: Object.fromEntries(spec.layers.map((l) => [l, new Float32Array(T)])),
      normalized: Object.fromEntries(spec.layers.map((l) => [l, new Float32Array(T)])),
      norm: {},
      pTrue: new Float32Array(T),
      top1: new Int32Array(T),
    };
  }

  /** `rows[r]` is the θ index of batch row r; row 0 is x (−1). */
  add(rows: number[], out: SweepBatchOutput): void {
    const { spec, result } = this;
    const K = out.classes;
    if (!this.refProbs) {
      for (const l of spec.layers) result.norm[l] = out.norm[l];
      this.refProbs = rowProbabilities(out.scores, 0, K, spec.outputIsProbability);
      if (this.given === null || this.given >= K) {
        result.trueIndex = argmax(this.refProbs);
        result.trueFrom = 'prediction';
      }
    }
    const cls = result.trueIndex;
    rows.forEach((t, r) => {
      if (t < 0) return;
      for (const l of spec.layers) {
        const d = out.distance[l][r];
        result.distance[l][t] = d;
        result.normalized[l][t] = normalizedDistance(d, result.norm[l]);
      }
      const p = rowProbabilities(out.scores, r * K, K, spec.outputIsProbability);
      result.pTrue[t] = p[cls];
      result.top1[t] = argmax(p);
    });
  }

  finish(): ImageSweep {
    const { spec, result, refProbs } = this;
    spec.thetas.forEach((theta, t) => {
      if (!isIdentityTransform(spec.transform, theta)) return;
      // distance and normalized stay 0: the input is x.
      result.pTrue[t] = refProbs![result.trueIndex];
      result.top1[t] = argmax(refProbs!);
    });
    return result;
  }
}

interface BatchJob {
  image: number;
  rows: number[];
  data: Float32Array;
  acc: SweepAccumulator;
  last: boolean;
}

/** The batches of one image: each is x, then up to batchSize − 1 of the non-identity θ. */
function* imageBatches(image: number, input: SweepInput, spec: SweepSpec): Generator<BatchJob> {
  const [C, H, W] = spec.dims;
  const size = C * H * W;
  if (input.x.length !== size) throw new AppError('INPUT_MISMATCH', `sweep: expected ${C}×${H}×${W} input values, got ${input.x.length}`);
  const thetas: number[] = [];
  spec.thetas.forEach((theta, t) => {
    if (!isIdentityTransform(spec.transform, theta)) thetas.push(t);
  });
  const per = Math.max(1, (spec.batchSize ?? 64) - 1);
  const acc = new SweepAccumulator(spec, input.trueIndex);
  for (let start = 0; start === 0 || start < thetas.length; start += per) {
    const part = [-1, ...thetas.slice(start, start + per)];
    const data = new Float32Array(part.length * size);
    part.forEach((t, r) => {
      const dst = data.subarray(r * size, (r + 1) * size);
      if (t < 0) dst.set(input.x);
      else transformInput(input.x, spec.dims, spec.transform, spec.thetas[t], dst);
    });
    yield { image, rows: part, data, acc, last: start + per >= thetas.length };
  }
}

async function* allBatches(count: number, load: (i: number) => Promise<SweepInput | null>, spec: SweepSpec): AsyncGenerator<BatchJob> {
  for (let i = 0; i < count; i++) {
    const input = await load(i);
    if (input) yield* imageBatches(i, input, spec);
  }
}

/**
 * Sweeps `count` images (loaded in order by `load`; null leaves an image out), handing each image's
 * result to `onImage` as soon as its last batch is reduced. One forward pass is in flight while the
 * next batch is built.
 */
export async function sweepPipeline(
  count: number, load: (i: number) => Promise<SweepInput | null>, forward: SweepForward, spec: SweepSpec,
  onImage: (index: number, sweep: ImageSweep) => void,
): Promise<void> {
  if (spec.layers.length === 0) throw new AppError('INVALID_ARGUMENT', 'sweep: no layers given');
  const check = () => spec.signal && throwIfCancelled(spec.signal, 'Invariance sweep');
  const run = (job: BatchJob) => {
    const p = forward(job.data, job.rows.length);
    // Awaited below; marked handled now so a failure while the next batch is built is not "unhandled".
    p.catch(() => {});
    return { job, p };
  };
  const jobs = allBatches(count, load, spec);
  check();
  const first = await jobs.next();
  let inflight = first.done ? null : run(first.value);
  while (inflight) {
    check();
    // An image that fails to load fails the sweep, but only after the pass in flight is reduced:
    // the image before it is done and handed over first.
    let next: IteratorResult<BatchJob> | null = null;
    let failed: { error: unknown } | null = null;
    try {
      next = await jobs.next();
    } catch (error) {
      failed = { error };
    }
    const out = await inflight.p;
    const done = inflight.job;
    inflight = next && !next.done ? run(next.value) : null;
    done.acc.add(done.rows, out);
    spec.onSteps?.(done.rows.length - 1);
    if (done.last) onImage(done.image, done.acc.finish());
    if (failed) throw failed.error;
  }
}

/** Sweeps one preprocessed image x (C×H×W); `trueIndex` null takes the top-1 class of x. */
export async function sweepImage(x: Float32Array, trueIndex: number | null, forward: SweepForward, spec: SweepSpec): Promise<ImageSweep> {
  let result: ImageSweep | null = null;
  await sweepPipeline(1, async () => ({ x, trueIndex }), forward, spec, (_, s) => (result = s));
  return result!;
}
