// Argument schemas for the probe call. Layers are checked against the open model in the call
// (core/service/probe-calls.ts).
import { z } from 'zod';
import type { ProbeCalls } from './api-probe.ts';
import { intArg, LIMITS, listArg, numberArg, textArg } from './arg-checks.ts';

export const probeSchemas: Record<keyof ProbeCalls, z.ZodType> = {
  probe: z.object({
    layers: listArg(textArg(LIMITS.layer), 1, 256).optional(),
    // More folds than 50 only make each held-out share a handful of images.
    folds: intArg(2, 50).optional(),
    lambda: numberArg(0, 1e9, { aboveLo: true }).optional(),
    jobId: textArg(LIMITS.jobId).optional(),
  }).strict(),
};
