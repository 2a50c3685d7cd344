// Occlusion sensitivity (the paper's Fig. 7): every occluded copy of the image through the model in
// batches; per grid position P(target class), the most probable class and the total activity of a
// chosen feature map.
import { argmax, rowProbabilities } from '../../model/scores.ts';
import { AppError } from '../../../common/errors.ts';
import { mapDims, noMapsMessage } from '../../../common/layers.ts';
import type { BatchForward } from '../map-maxima.ts';
import { occludeInto, type OcclusionGeometry } from './grid.ts';

export interface OcclusionInput {
  image: Float32Array;
  dims: [number, number, number];
  geometry: OcclusionGeometry;
  forward: BatchForward;
  /** The class-score output and whether it already holds probabilities (the model ends in Softmax). */
  output: string;
  probabilities: boolean;
  /** The tensor whose map `channel` is summed. */
  tensor: string;
  channel: number;
  /** null: the top-1 class of the unoccluded image. */
  targetClass: number | null;
  batchSize: number;
  signal?: AbortSignal;
  /** Grid positions done out of rows × cols, after each batch (the unoccluded baseline is not counted). */
  onProgress?: (done: number, total: number) => void;
}

export interface OcclusionMaps {
  targetClass: number;
  pClass: Float32Array;
  top1: Int32Array;
  activity: Float32Array;
  base: { pClass: number; top1: number; activity: number };
}

export async function occlusionSensitivity(o: OcclusionInput): Promise<OcclusionMaps> {
  const { rows, cols } = o.geometry;
  const cells = rows * cols;
  const size = o.image.length;
  // Item 0 of the first batch is the unoccluded image: the baseline goes through the same path.
  const total = cells + 1;
  const pClass = new Float32Array(cells);
  const top1 = new Int32Array(cells);
  const activity = new Float32Array(cells);
  let base: OcclusionMaps['base'] | null = null;
  let target = o.targetClass;
  const batchSize = Math.max(1, o.batchSize);
  const probs = new Float64Array(0);
  let p = probs;
  for (let start = 0; start < total; start += batchSize) {
    if (o.signal?.aborted) throw new AppError('CANCELLED', 'occlusion cancelled');
    const n = Math.min(batchSize, total - start);
    const batch = new Float32Array(n * size);
    for (let j = 0; j < n; j++) {
      const item = start + j;
      const view = batch.subarray(j * size, (j + 1) * size);
      if (item === 0) view.set(o.image);
      else occludeInto(o.image, o.dims, o.geometry, Math.floor((item - 1) / cols), (item - 1) % cols, view);
    }
    const out = await o.forward(batch, n, [o.output, o.tensor]);
    const scores = out[o.output]?.data as Float32Array | undefined;
    const acts = out[o.tensor];
    if (!scores) throw new AppError('RUNTIME_FAILED', `the model did not return "${o.output}"`);
    if (!acts) throw new AppError('NOT_FOUND', `the model did not return layer "${o.tensor}"`, { layer: o.tensor });
    const K = scores.length / n;
    const per = acts.data.length / n;
    const dims = mapDims(acts.dims);
    if (!dims) throw new AppError('MODEL_UNSUPPORTED', noMapsMessage(o.tensor, acts.dims), { layer: o.tensor });
    const [C] = dims;
    const plane = per / C;
    if (o.channel < 0 || o.channel >= C) throw new AppError('INVALID_ARGUMENT', `layer "${o.tensor}" has ${C} maps; there is no map ${o.channel}`);
    if (p.length !== K) p = new Float64Array(K);
    for (let j = 0; j < n; j++) {
      rowProbabilities(scores, j * K, K, o.probabilities, p);
      const best = argmax(p);
      let sum = 0;
      const a = acts.data as Float32Array;
      for (let i = j * per + o.channel * plane, end = i + plane; i < end; i++) sum += a[i];
      const item = start + j;
      if (item === 0) {
        target ??= best;
        if (target < 0 || target >= K) throw new AppError('INVALID_ARGUMENT', `class ${target} is outside 0…${K - 1}`);
        // Rounded like the grids (Float32Array), so "unchanged" compares equal.
        base = { pClass: Math.fround(p[target]), top1: best, activity: Math.fround(sum) };
      } else {
        pClass[item - 1] = p[target!];
        top1[item - 1] = best;
        activity[item - 1] = sum;
      }
    }
    o.onProgress?.(start + n - 1, cells);
  }
  return { targetClass: target!, pClass, top1, activity, base: base! };
}
