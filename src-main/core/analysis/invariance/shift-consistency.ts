// Shift consistency (Zhang 2019, "Making convolutional networks shift-invariant again",
// antialiased-cnns): how often the top-1 class agrees between two random translations of an image.
// Offsets are uniform integers in 0…s per axis from a fixed-seed PRNG, so a run is repeatable and two
// models compared on the same folder see the same shifts. Integer translations with the mean
// colour as fill are exact pixel shifts (see images/transform.ts).
import type { BatchForward } from '../map-maxima.ts';
import { throwIfCancelled } from '../../jobs/jobs.ts';
import { seededRandom } from '../../onnx/index.ts';
import { transformPlanes } from '../../images/index.ts';
import { argmax } from '../../model/scores.ts';
import { floatData, rowSize } from './distances.ts';

export interface ConsistencySpec {
  /** C, H, W of one input. */
  dims: [number, number, number];
  output: string;
  maxShift: number;
  pairsPerImage: number;
  seed: number;
  /** Inputs per forward pass (default 64). */
  batchSize?: number;
  signal?: AbortSignal;
  /** Images handled so far (failures included). */
  onProgress?: (done: number) => void;
  /** An image that fails to load is reported and left out. */
  onFailure?: (index: number, message: string) => void;
}

export interface ConsistencyCounts {
  agree: number;
  pairs: number;
  images: number;
}

/** The content of x moved right by dx and down by dy (integers), uncovered pixels 0. */
export function shiftInput(x: Float32Array, dims: [number, number, number], dy: number, dx: number, out: Float32Array): Float32Array {
  const [C, H, W] = dims;
  const tmp = transformPlanes(x, C, H, W, 'translate-x', dx, 0);
  return transformPlanes(tmp, C, H, W, 'translate-y', dy, 0, out);
}

/** The offsets of every pair, image by image: [dy1, dx1, dy2, dx2] uniform in 0…maxShift. */
export function pairOffsets(count: number, pairsPerImage: number, maxShift: number, seed: number): Int32Array {
  const rnd = seededRandom(seed);
  const out = new Int32Array(count * pairsPerImage * 4);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(maxShift, Math.floor(rnd() * (maxShift + 1)));
  return out;
}

export async function shiftConsistency(
  count: number, load: (index: number) => Promise<Float32Array>, forward: BatchForward, spec: ConsistencySpec,
): Promise<ConsistencyCounts> {
  const [C, H, W] = spec.dims;
  const size = C * H * W;
  const offsets = pairOffsets(count, spec.pairsPerImage, spec.maxShift, spec.seed);
  // Whole images per batch: 2 inputs per pair.
  const perImage = 2 * spec.pairsPerImage;
  const imagesPerBatch = Math.max(1, Math.floor((spec.batchSize ?? 64) / perImage));
  const counts: ConsistencyCounts = { agree: 0, pairs: 0, images: 0 };
  let done = 0;
  for (let start = 0; start < count; start += imagesPerBatch) {
    if (spec.signal) throwIfCancelled(spec.signal, 'Shift consistency');
    const indices: number[] = [];
    const inputs: Float32Array[] = [];
    for (let i = start; i < Math.min(count, start + imagesPerBatch); i++) {
      try {
        inputs.push(await load(i));
        indices.push(i);
      } catch (e) {
        if (spec.signal?.aborted) throw e;
        spec.onFailure?.(i, (e as Error).message);
      }
    }
    if (indices.length) {
      const n = indices.length * perImage;
      const batch = new Float32Array(n * size);
      let row = 0;
      indices.forEach((img, k) => {
        for (let p = 0; p < spec.pairsPerImage; p++) {
          const o = (img * spec.pairsPerImage + p) * 4;
          shiftInput(inputs[k], spec.dims, offsets[o], offsets[o + 1], batch.subarray(row * size, (row + 1) * size));
          row++;
          shiftInput(inputs[k], spec.dims, offsets[o + 2], offsets[o + 3], batch.subarray(row * size, (row + 1) * size));
          row++;
        }
      });
      const out = await forward(batch, n, [spec.output]);
      const scores = floatData(out[spec.output], spec.output);
      const K = rowSize(out[spec.output]);
      for (let r = 0; r < n; r += 2) {
        // The top-1 class is the same for scores and their softmax.
        if (argmax(scores, r * K, K) === argmax(scores, (r + 1) * K, K)) counts.agree++;
        counts.pairs++;
      }
      counts.images += indices.length;
    }
    done = Math.min(count, start + imagesPerBatch);
    spec.onProgress?.(done);
  }
  return counts;
}
