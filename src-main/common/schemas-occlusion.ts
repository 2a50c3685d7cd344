// Argument schemas for the occlusion calls. Sizes, strides, positions, channels and classes are
// checked against the open model in the calls (core/service/occlusion-calls.ts).
import { z } from 'zod';
import type { OcclusionCalls } from './api-occlusion.ts';
import { intArg, LIMITS, textArg } from './arg-checks.ts';

const path = textArg(LIMITS.path);
const layer = textArg(LIMITS.layer);
const channel = intArg(0, LIMITS.index);
const side = intArg(1, LIMITS.side);
const position = z.tuple([intArg(0, LIMITS.side - 1), intArg(0, LIMITS.side - 1)], { error: `must be [y, x], two integers from 0 to ${LIMITS.side - 1}` });

export const occlusionSchemas: Record<keyof OcclusionCalls, z.ZodType> = {
  occlusion: z.object({
    path,
    size: side.optional(),
    stride: side.optional(),
    targetClass: intArg(0, LIMITS.index).optional(),
    layer: layer.optional(),
    channel: channel.optional(),
    jobId: textArg(LIMITS.jobId).optional(),
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
