// A checkpoint's accuracy on a labelled folder: each image's predicted class (the largest score of
// the model's first output), counted against its class sub-folder. Predictions are kept per model
// content, preprocessing and folder, each with the image's file signature (as the top-k cache keeps
// its images), in memory and on disk: a checkpoint whose scan is cached needs no forward pass.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Preprocessing } from '../../../common/types.ts';
import type { OutputTensor } from '../../runtime/protocol.ts';
import type { ListedImage } from '../topk/state.ts';

export interface PredictionKey {
  modelHash: string;
  preprocessing: Preprocessing;
  folder: string;
}

/** path → [file signature, predicted class]. */
export type Predictions = Map<string, [string, number]>;

const VERSION = 1;
const stored = z.object({
  version: z.literal(VERSION),
  modelHash: z.string(),
  folder: z.string(),
  predictions: z.array(z.tuple([z.string(), z.string(), z.number().int().min(0)])),
});

function fileOf(dir: string, key: PredictionKey): string {
  const id = createHash('sha256').update(JSON.stringify([key.modelHash, key.preprocessing, key.folder])).digest('hex').slice(0, 40);
  return path.join(dir, 'predictions', `${id}.json`);
}

/** The kept predictions (an empty map when there are none or the file is unusable: they are made again). */
export async function loadPredictions(dir: string | null, key: PredictionKey): Promise<Predictions> {
  if (!dir) return new Map();
  const text = await readFile(fileOf(dir, key), 'utf8').catch(() => null);
  if (text === null) return new Map();
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return new Map();
  }
  const parsed = stored.safeParse(raw);
  if (!parsed.success || parsed.data.modelHash !== key.modelHash || parsed.data.folder !== key.folder) return new Map();
  return new Map(parsed.data.predictions.map(([p, sig, c]) => [p, [sig, c]]));
}

/** Written to a temporary file and renamed over the old one, so a kill never leaves half a file. */
export async function savePredictions(dir: string | null, key: PredictionKey, predictions: Predictions): Promise<void> {
  if (!dir) return;
  const file = fileOf(dir, key);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const body = { version: VERSION, modelHash: key.modelHash, folder: key.folder, predictions: [...predictions].map(([p, [sig, c]]) => [p, sig, c]) };
  try {
    await writeFile(tmp, JSON.stringify(body));
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
}

/** Index of the largest of each row of an N×K score tensor (the first, on ties). */
export function argmaxRows(t: OutputTensor): number[] {
  const n = t.dims[0];
  const k = t.data.length / n;
  const data = t.data as Float32Array;
  return Array.from({ length: n }, (_, i) => {
    let best = 0;
    for (let j = 1; j < k; j++) if (data[i * k + j] > data[i * k + best]) best = j;
    return best;
  });
}

/** Records the predictions of a batch's rows. */
export function addPredictions(predictions: Predictions, images: readonly ListedImage[], scores: OutputTensor): void {
  argmaxRows(scores).forEach((c, j) => predictions.set(images[j].path, [images[j].sig, c]));
}

/** Images of the listing with no prediction for their current file. */
export function missingPredictions(predictions: Predictions, listing: readonly ListedImage[]): ListedImage[] {
  return listing.filter((i) => predictions.get(i.path)?.[0] !== i.sig);
}

/**
 * Share of the labelled images predicted as their class: `truth` maps a path to its class index
 * (images without one, or without a prediction because they failed to load, do not count); null
 * when no image counts.
 */
export function accuracyOf(predictions: Predictions, listing: readonly ListedImage[], truth: ReadonlyMap<string, number>): number | null {
  let counted = 0;
  let right = 0;
  for (const img of listing) {
    const t = truth.get(img.path);
    const p = predictions.get(img.path);
    if (t === undefined || !p || p[0] !== img.sig) continue;
    counted++;
    if (p[1] === t) right++;
  }
  return counted ? right / counted : null;
}
