// Argument schemas for the spectra calls.
import { z } from 'zod';
import type { SpectraCalls } from './api-spectra.ts';
import { flagArg, LIMITS, textArg } from './arg-checks.ts';

export const spectraSchemas: Record<keyof SpectraCalls, z.ZodType> = {
  filterSpectra: z.object({
    model: textArg(LIMITS.path).optional(),
    layer: textArg(LIMITS.layer).optional(),
    firing: flagArg().optional(),
    jobId: textArg(LIMITS.jobId).optional(),
  }).strict(),
  spectraDemoModels: z.object({}).strict(),
};
