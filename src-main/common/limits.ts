// The limits arguments are checked against, as plain values and functions without zod, so the
// renderer can check a form before sending it (common/arg-checks.ts builds the schemas from them).
import type { TransformKind } from './api-invariance.ts';

export const LIMITS = {
  /** Characters of a filesystem path (Linux PATH_MAX). */
  path: 4096,
  /** Characters of a layer id: an ONNX tensor name (exporters' longest are well under 200). */
  layer: 1000,
  /** Characters of a client-chosen job id. */
  jobId: 200,
  /** Pixels of a model-input side (occluder sizes and strides, shifts, positions); the calls check the open model's size. */
  side: 4096,
  /** Feature-map (channel) and class indices; the calls check the open layer's and model's counts. */
  index: 16_777_215,
  /** Seeds of mulberry32, which uses them as unsigned 32-bit integers. */
  seed: 4_294_967_295,
} as const;

/** Scaling up by more than this shows a few input pixels across the whole input. */
export const MAX_SCALE = 100;

/**
 * What θ must be for a transform, or null when `theta` is fine. Translations beyond the input side
 * move the whole image out (`inputSize` [H, W]: the open model's; null: any model's); a scale
 * factor must be positive; a rotation past a full turn repeats one within it.
 */
export function thetaProblem(kind: TransformKind, theta: number, inputSize: readonly [number, number] | null): string | null {
  if (kind === 'scale') return theta > 0 && theta <= MAX_SCALE ? null : `must be a scale factor greater than 0 and at most ${MAX_SCALE}`;
  if (kind === 'rotate') return theta >= -360 && theta <= 360 ? null : 'must be an angle from -360 to 360 degrees';
  const side = inputSize ? inputSize[kind === 'translate-y' ? 0 : 1] : LIMITS.side;
  if (theta >= -side && theta <= side) return null;
  return `must be a translation from -${side} to ${side} pixels${inputSize ? ` (the model input is ${inputSize[0]}×${inputSize[1]})` : ''}`;
}

