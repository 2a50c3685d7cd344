// Argument schemas for the topk calls. Channels are checked against the open model in the calls
// (core/service/topk-calls.ts).
import { z } from 'zod';
import type { TopkCalls } from './api-topk.ts';
import { flagArg, intArg, LIMITS, listArg, textArg } from './arg-checks.ts';

const layer = textArg(LIMITS.layer);
const layers = listArg(layer, 1, 256);
/** Images per map: 64 is far more than a view shows (the paper shows 9); the CLI's --k has the same limit. */
const k = intArg(1, 64).optional();
const jobId = textArg(LIMITS.jobId).optional();
const channel = intArg(0, LIMITS.index);

export const topkSchemas: Record<keyof TopkCalls, z.ZodType> = {
  topkScan: z.object({ layers, k, jobId }).strict(),
  topkCached: z.object({ layers, k }).strict(),
  topkTiles: z.object({ layer, channel, k, projections: flagArg().optional() }).strict(),
  topkQueue: z.object({}).strict(),
};
