// Argument schemas for the evolution calls. Channels are checked against the layer in the call.
import { z } from 'zod';
import type { EvolutionCalls } from './api-evolution.ts';
import { intArg, LIMITS, listArg, textArg } from './arg-checks.ts';

const paths = listArg(textArg(LIMITS.path), 1, 256);
/** Rows of a figure: the paper shows 6 to 10 maps a layer. */
const MAX_MAPS = 64;

export const evolutionSchemas: Record<keyof EvolutionCalls, z.ZodType> = {
  evolutionCheckpoints: z.object({ paths }).strict(),
  evolution: z.object({
    checkpoints: paths,
    layer: textArg(LIMITS.layer),
    channels: listArg(intArg(0, LIMITS.index), 1, MAX_MAPS).optional(),
    maps: intArg(1, MAX_MAPS).optional(),
    seed: intArg(0, LIMITS.seed).optional(),
    jobId: textArg(LIMITS.jobId).optional(),
  }).strict(),
};
