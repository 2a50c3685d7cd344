// Contract entries for invariance sweeps and shift consistency (issue 6), with the defaults the
// CLI, the service and the view share (DESIGN §3 "Invariance sweep").
import { activationLayerId } from './layers.ts';
import type { ModelInputImage } from './types.ts';
import type { LayerInfo, SkippedFile } from './types.ts';

export type TransformKind = 'translate-x' | 'translate-y' | 'scale' | 'rotate';

export const TRANSFORM_KINDS: readonly TransformKind[] = ['translate-x', 'translate-y', 'scale', 'rotate'];

/** One image's sweep: per layer and θ the feature distance to the untransformed image, and the output. */
export interface InvarianceImageResult {
  /** Folder-relative path (service) or the file (CLI). */
  path: string;
  /** The true class's label; from the folder name when it names a class, else the top-1 class of the untransformed image. */
  trueClass: string;
  trueIndex: number;
  trueFrom: 'folder' | 'prediction';
  /** d(θ) = ‖φ_L(T_θ x) − φ_L(x)‖₂ per layer id, one value per θ. */
  distance: Record<string, Float32Array>;
  /** d̂(θ) = d(θ) / ‖φ_L(x)‖₂ (0 where ‖φ_L(x)‖₂ = 0 and d = 0; Infinity where only the norm is 0). */
  normalized: Record<string, Float32Array>;
  /** ‖φ_L(x)‖₂ per layer. */
  norm: Record<string, number>;
  /** P(true class | T_θ x) per θ. */
  pTrue: Float32Array;
  /** Index of the most probable class per θ. */
  top1: Int32Array;
}

export interface InvarianceSweepResult {
  transform: TransformKind;
  thetas: number[];
  layers: string[];
  /** Class labels, for the top-1 indices. */
  labels: string[];
  images: InvarianceImageResult[];
  ms: number;
}

export interface InvarianceSweepArg {
  /** Images of the open folder (folder-relative paths). */
  paths: string[];
  transform: TransformKind;
  thetas: number[];
  /** Layer ids; default `defaultInvarianceLayers`. */
  layers?: string[];
  /** Lets the caller cancel this call with `cancel({ jobId })`. */
  jobId?: string;
}

/** One transform's sweep of a multi-sweep job. */
export interface InvarianceSweepSpec {
  transform: TransformKind;
  thetas: number[];
}

export interface InvarianceSweepsArg {
  /** Images of the open folder (folder-relative paths). */
  paths: string[];
  /** Run one after another, each over every image (Fig. 5 is three). */
  sweeps: InvarianceSweepSpec[];
  /** Layer ids; default `defaultInvarianceLayers`. */
  layers?: string[];
  jobId?: string;
}

/** One transform's sweep; with `error` it stopped there, and `images` are those done before. */
export interface InvarianceRunResult extends InvarianceSweepResult {
  error?: { code: string; message: string };
}

export interface InvarianceSweepsResult {
  runs: InvarianceRunResult[];
  ms: number;
}

/**
 * What a multi-sweep job hands out while it runs (`jobParts`), in order: each sweep's start (with the
 * class labels), each image as it is done, and an error that stopped a sweep (the next one still runs).
 */
export type InvariancePart =
  | { run: number; part: 'start'; labels: string[] }
  | { run: number; part: 'image'; image: InvarianceImageResult }
  | { run: number; part: 'error'; code: string; message: string };

/** Shift consistency (Zhang 2019): how often the top-1 class agrees between two random translations. */
export interface ShiftConsistencyResult {
  /** agree / pairs. */
  consistency: number;
  agree: number;
  pairs: number;
  /** Images that took part (failures excluded). */
  images: number;
  maxShift: number;
  pairsPerImage: number;
  seed: number;
  skipped: SkippedFile[];
  ms: number;
}

export interface ShiftConsistencyArg {
  /** Images of the open folder; default all of them. */
  paths?: string[];
  /** Offsets are uniform integers in 0…maxShift per axis; default round(input size / 7). */
  maxShift?: number;
  pairsPerImage?: number;
  seed?: number;
  jobId?: string;
}

export interface InvarianceCalls {
  invarianceSweep(arg: InvarianceSweepArg): Promise<InvarianceSweepResult>;
  /**
   * Several sweeps (transforms) over the same images as one job the server keeps (a page reloaded
   * mid-sweep re-attaches to it); progress counts steps over all of them, and `jobParts` hands out
   * each image's curves as they are done.
   */
  invarianceSweeps(arg: InvarianceSweepsArg): Promise<InvarianceSweepsResult>;
  /** The transformed model input of one image at one θ, as the model sees it (for hover previews). */
  invarianceInput(arg: { path: string; transform: TransformKind; theta: number }): Promise<ModelInputImage>;
  shiftConsistency(arg: ShiftConsistencyArg): Promise<ShiftConsistencyResult>;
}

export const DEFAULT_PAIRS_PER_IMAGE = 5;
export const DEFAULT_CONSISTENCY_SEED = 2019;

export function defaultMaxShift(inputSize: [number, number]): number {
  return Math.max(1, Math.round(Math.min(inputSize[0], inputSize[1]) / 7));
}

/** `steps` evenly spaced values from `from` to `to`, both included (one step: `from`). */
export function thetaRange(from: number, to: number, steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be a positive integer, got ${steps}`);
  if (steps === 1) return [from];
  // from + i·(to − from)/(steps − 1) keeps integer grids integer (−17…17 in 35 steps is −17, −16, …).
  // Rounded to 12 significant digits so 1 + 3·0.05 reads 1.15, not 1.1500000000000001.
  return Array.from({ length: steps }, (_, i) => (i === steps - 1 ? to : Number((from + (i * (to - from)) / (steps - 1)).toPrecision(12))));
}

export interface ThetaRangeSpec {
  from: number;
  to: number;
  steps: number;
}

/**
 * The paper's ranges (Fig. 5): translation −60…60 px at 224 scaled to the input side and rounded,
 * in 1-pixel steps; scale 1.0…1.8 in steps of 0.05; rotation 0…350° in steps of 10°.
 */
export function defaultInvarianceRange(kind: TransformKind, inputSize: [number, number]): ThetaRangeSpec {
  if (kind === 'scale') return { from: 1, to: 1.8, steps: 17 };
  if (kind === 'rotate') return { from: 0, to: 350, steps: 36 };
  const side = kind === 'translate-y' ? inputSize[0] : inputSize[1];
  const r = Math.max(1, Math.round((60 * side) / 224));
  return { from: -r, to: r, steps: 2 * r + 1 };
}

/**
 * The paper's layers 1 and 7: the first conv layer and the last hidden fully connected layer (the
 * fc layer before the classifier), each after its ReLU. Without a hidden fc layer (global-pooling
 * nets) the second is the last ReLU before the classifier.
 */
export function defaultInvarianceLayers(layers: readonly Pick<LayerInfo, 'id' | 'op' | 'kind'>[]): string[] {
  const out: string[] = [];
  const firstConv = layers.findIndex((l) => l.kind === 'conv');
  if (firstConv >= 0) out.push(activationLayerId(layers, layers[firstConv].id));
  const fcs = layers.map((l, i) => [l, i] as const).filter(([l]) => l.kind === 'fc');
  let high: string | null = null;
  if (fcs.length >= 2) high = activationLayerId(layers, fcs[fcs.length - 2][0].id);
  else {
    const classifier = fcs.length ? fcs[0][1] : layers.length;
    for (let i = classifier - 1; i >= 0 && high === null; i--) if (layers[i].kind === 'relu') high = layers[i].id;
  }
  if (high !== null && !out.includes(high)) out.push(high);
  if (out.length === 0 && layers.length) out.push(layers[0].id);
  return out;
}
