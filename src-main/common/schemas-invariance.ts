// Argument schemas for the invariance calls, and the range of θ each transform takes (checked here
// without a model, and against the open model's input size in core/service/invariance-calls.ts).
import { z } from 'zod';
import { TRANSFORM_KINDS, type InvarianceCalls, type TransformKind } from './api-invariance.ts';
import { intArg, LIMITS, listArg, oneOf, textArg } from './arg-checks.ts';

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

const path = textArg(LIMITS.path);
const transform = oneOf(TRANSFORM_KINDS as readonly TransformKind[] as [TransformKind, ...TransformKind[]]);
const theta = z.number({ error: 'must be a finite number' });
const jobId = textArg(LIMITS.jobId);

export const invarianceSchemas: Record<keyof InvarianceCalls, z.ZodType> = {
  invarianceSweep: z.object({
    paths: listArg(path, 1, 1000),
    transform,
    thetas: listArg(theta, 1, 1000),
    layers: listArg(textArg(LIMITS.layer), 1, 32).optional(),
    jobId: jobId.optional(),
  }).strict().superRefine((arg, ctx) => {
    arg.thetas.forEach((t, i) => {
      const problem = thetaProblem(arg.transform, t, null);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['thetas', i], input: t });
    });
  }),
  invarianceInput: z.object({ path, transform, theta }).strict().superRefine((arg, ctx) => {
    const problem = thetaProblem(arg.transform, arg.theta, null);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['theta'], input: arg.theta });
  }),
  shiftConsistency: z.object({
    paths: listArg(path, 1, 100_000).optional(),
    maxShift: intArg(0, LIMITS.side).optional(),
    pairsPerImage: intArg(1, 100).optional(),
    seed: intArg(0, LIMITS.seed).optional(),
    jobId: jobId.optional(),
  }).strict(),
};
