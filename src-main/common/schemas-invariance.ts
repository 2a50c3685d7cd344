// Argument schemas for the invariance calls, and the range of θ each transform takes (checked here
// without a model, and against the open model's input size in core/service/invariance-calls.ts).
import { z } from 'zod';
import { TRANSFORM_KINDS, type InvarianceCalls, type TransformKind } from './api-invariance.ts';
import { intArg, LIMITS, listArg, oneOf, textArg } from './arg-checks.ts';
import { MAX_SCALE, thetaProblem } from './limits.ts';

export { MAX_SCALE, thetaProblem };

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
  invarianceSweeps: z.object({
    paths: listArg(path, 1, 1000),
    sweeps: listArg(z.object({ transform, thetas: listArg(theta, 1, 1000) }).strict(), 1, TRANSFORM_KINDS.length),
    layers: listArg(textArg(LIMITS.layer), 1, 32).optional(),
    jobId: jobId.optional(),
  }).strict().superRefine((arg, ctx) => {
    arg.sweeps.forEach((s, i) => s.thetas.forEach((t, j) => {
      const problem = thetaProblem(s.transform, t, null);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['sweeps', i, 'thetas', j], input: t });
    }));
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
