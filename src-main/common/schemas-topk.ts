// Argument schemas for the topk calls. Sizes, strides, positions, channels and classes are checked
// against the open model in the calls (core/service/topk-calls.ts).
import { z } from 'zod';
import type { TopkCalls } from './api-topk.ts';
import { flagArg, intArg, LIMITS, listArg, textArg } from './arg-checks.ts';

const path = textArg(LIMITS.path);
const layer = textArg(LIMITS.layer);
const layers = listArg(layer, 1, 256);
/** Images per map: 64 is far more than a view shows (the paper shows 9); the CLI's --k has the same limit. */
const k = intArg(1, 64).optional();
const jobId = textArg(LIMITS.jobId).optional();
const channel = intArg(0, LIMITS.index);
const side = intArg(1, LIMITS.side);
const position = z.tuple([intArg(0, LIMITS.side - 1), intArg(0, LIMITS.side - 1)], { error: `must be [y, x], two integers from 0 to ${LIMITS.side - 1}` });

export const topkSchemas: Record<keyof TopkCalls, z.ZodType> = {
  topkScan: z.object({ layers, k, jobId }).strict(),
  topkCached: z.object({ layers, k }).strict(),
  topkTiles: z.object({ layer, channel, k, projections: flagArg().optional() }).strict(),
  occlusion: z.object({
    path,
    size: side.optional(),
    stride: side.optional(),
    targetClass: intArg(0, LIMITS.index).optional(),
    layer: layer.optional(),
    channel: channel.optional(),
    jobId,
  }).strict(),
  occlusionFaithfulness: z.object({
    path,
    layer,
    channel,
    position: position.optional(),
    size: side.optional(),
    trials: intArg(1, 64).optional(),
    seed: intArg(0, LIMITS.seed).optional(),
  }).strict(),
};
