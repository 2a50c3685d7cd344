// Contract entries for occlusion sensitivity (issue 7; DESIGN §3 "Occlusion sensitivity") and the
// paper's faithfulness check of a projection. Owned by that feature.
import type { PixelBox } from './types.ts';

/** Occlusion sensitivity (DESIGN §3): row-major grids of rows × cols. */
export interface OcclusionResult {
  path: string;
  size: number;
  stride: number;
  grid: [number, number];
  targetClass: number;
  targetLabel: string;
  /** Why that class: the folder's true class, the one asked for, or the top-1 of the unoccluded image. */
  targetSource: 'true' | 'chosen' | 'top1';
  /** P(target class) per position. */
  pClass: Float32Array;
  /** Most probable class per position. */
  top1: Int32Array;
  /** Σ of the chosen feature map per position. */
  activity: Float32Array;
  layer: string;
  tensor: string;
  channel: number;
  /** The unoccluded image's values. */
  base: { pClass: number; top1: number; activity: number };
  /** Labels of the classes that appear in `top1` (index → label). */
  labels: Record<number, string>;
  ms: number;
}

/** The paper's check of a projection: occluding what it highlights vs a random region of the same area. */
export interface FaithfulnessResult {
  path: string;
  layer: string;
  tensor: string;
  channel: number;
  position: [number, number];
  /** a[c, p] on the unoccluded image. */
  value: number;
  /** Pixels occluded in each case (one occluder's area). */
  area: number;
  /** Activation with the projection's top-mass pixels occluded. */
  projected: number;
  /** Activation with a random square of the same area inside the receptive field, per trial. */
  random: number[];
  /** value − projected, and the mean of value − random. */
  projectedDrop: number;
  randomDrop: number;
  /** Mask of the occluded projected pixels (PNG, white = occluded) and the model-input image (PNG). */
  mask: Uint8Array;
  box: PixelBox;
  seed: number;
  ms: number;
}

export interface OcclusionCalls {
  /** The occlusion maps of one image of the open folder; progress events and cancel by `jobId`. */
  occlusion(arg: { path: string; size?: number; stride?: number; targetClass?: number; layer?: string; channel?: number; jobId?: string }): Promise<OcclusionResult>;
  occlusionFaithfulness(arg: { path: string; layer: string; channel: number; position?: [number, number]; size?: number; trials?: number; seed?: number }): Promise<FaithfulnessResult>;
}
