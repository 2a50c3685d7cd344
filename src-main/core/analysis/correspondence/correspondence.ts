// Correspondence (the paper's Table 1; DESIGN §3 "Correspondence"): per part and layer Δ, the mean
// disagreement of the signs of εᵢ = φ(xᵢ) − φ(x̃ᵢ) over pairs of images, and the same with the boxes
// at random places (seeded). A part's inputs go through the model together: its images, then their
// masked copies, then every random draw's masked copies, in batches of `batchSize` (one batch for a
// small model). Only φ(xᵢ) and the signs of the ε are kept, one byte per dimension.
import type { PartBox } from '../../../common/api-correspondence.ts';
import { AppError } from '../../../common/errors.ts';
import { quoted } from '../../../common/text.ts';
import type { BatchForward } from '../../model/model-session.ts';
import { seededRandom } from '../../onnx/seeded-random.ts';
import { maskInto, randomBoxLike, signDisagreement, signsOf } from './delta.ts';

export interface PartImages {
  name: string;
  /** Preprocessed images (C×H×W each). */
  images: Float32Array[];
  /** The part's box in each image. */
  boxes: PartBox[];
}

export interface CorrespondenceSpec {
  parts: PartImages[];
  dims: [number, number, number];
  forward: BatchForward;
  /** The tensor read for each layer (its activations, DESIGN's activation rule). */
  tensors: string[];
  /** Random-control draws R. */
  draws: number;
  seed: number;
  /** Inputs per forward pass. */
  batchSize: number;
  signal?: AbortSignal;
  /** Inputs through the model so far, of all (Σ over parts of (2 + R)·n), after each pass. */
  onProgress?: (done: number, total: number) => void;
}

export interface CorrespondenceDeltas {
  /** Δ per part, per layer (in `tensors` order). */
  parts: number[][];
  /** Per draw, Δ per layer averaged over the parts. */
  random: number[][];
  /** Per part, per draw, Δ per layer. */
  partRandom: number[][][];
  /** The random boxes: per draw, per part, per image. */
  randomBoxes: PartBox[][][];
}

/**
 * Every draw's boxes, drawn before any pass so they depend on the seed alone: for each draw, each
 * part, each image, y then x (randomBoxLike) from one mulberry32 stream.
 */
export function drawRandomBoxes(parts: readonly { boxes: readonly PartBox[] }[], H: number, W: number, draws: number, seed: number): PartBox[][][] {
  const rnd = seededRandom(seed);
  return Array.from({ length: draws }, () => parts.map((p) => p.boxes.map((b) => randomBoxLike(b, H, W, rnd))));
}

export function correspondenceTotal(parts: readonly { boxes: readonly unknown[] }[], draws: number): number {
  return parts.reduce((a, p) => a + (2 + draws) * p.boxes.length, 0);
}

export async function correspondence(s: CorrespondenceSpec): Promise<CorrespondenceDeltas> {
  const [, H, W] = s.dims;
  const randomBoxes = drawRandomBoxes(s.parts, H, W, s.draws, s.seed);
  const total = correspondenceTotal(s.parts, s.draws);
  const L = s.tensors.length;
  const batchSize = Math.max(1, s.batchSize);
  const partDeltas: number[][] = [];
  // [draw][part][layer]
  const drawDeltas: number[][][] = Array.from({ length: s.draws }, () => []);
  let done = 0;
  s.onProgress?.(0, total);

  for (const [p, part] of s.parts.entries()) {
    const n = part.images.length;
    const size = part.images[0].length;
    // Item k: k < n the image k; then group g = 1 (the part's boxes) or 2 + r (draw r), image i.
    const items = (2 + s.draws) * n;
    const boxOf = (group: number, i: number) => (group === 1 ? part.boxes[i] : randomBoxes[group - 2][p][i]);
    const features: Float32Array[][] = Array.from({ length: L }, () => new Array<Float32Array>(n));
    // signs[group − 1][layer][image]
    const signs: Int8Array[][][] = Array.from({ length: 1 + s.draws }, () => Array.from({ length: L }, () => new Array<Int8Array>(n)));
    for (let start = 0; start < items; start += batchSize) {
      if (s.signal?.aborted) throw new AppError('CANCELLED', 'correspondence cancelled');
      const count = Math.min(batchSize, items - start);
      const batch = new Float32Array(count * size);
      for (let j = 0; j < count; j++) {
        const k = start + j;
        const view = batch.subarray(j * size, (j + 1) * size);
        const group = Math.floor(k / n);
        const i = k % n;
        if (group === 0) view.set(part.images[i]);
        else maskInto(part.images[i], s.dims, boxOf(group, i), view);
      }
      const out = await s.forward(batch, count, s.tensors);
      for (let l = 0; l < L; l++) {
        const t = out[s.tensors[l]];
        if (!t) throw new AppError('NOT_FOUND', `the model did not return layer ${quoted(s.tensors[l])}`, { layer: s.tensors[l] });
        const data = t.data as Float32Array;
        const D = data.length / count;
        for (let j = 0; j < count; j++) {
          const k = start + j;
          const group = Math.floor(k / n);
          const i = k % n;
          const phi = data.subarray(j * D, (j + 1) * D);
          // Items run in order, so φ(xᵢ) is in hand before any masked copy of xᵢ.
          if (group === 0) features[l][i] = phi.slice();
          else signs[group - 1][l][i] = signsOf(features[l][i], phi);
        }
      }
      done += count;
      s.onProgress?.(done, total);
    }
    partDeltas.push(signs[0].map((perImage) => signDisagreement(perImage)));
    for (let r = 0; r < s.draws; r++) drawDeltas[r].push(signs[1 + r].map((perImage) => signDisagreement(perImage)));
  }
  const random = drawDeltas.map((perPart) => Array.from({ length: L }, (_, l) => perPart.reduce((a, d) => a + d[l], 0) / perPart.length));
  const partRandom = s.parts.map((_, p) => drawDeltas.map((perPart) => perPart[p]));
  return { parts: partDeltas, random, partRandom, randomBoxes };
}
