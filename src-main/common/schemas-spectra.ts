// Argument schemas for the spectra calls.
import { z } from 'zod';
import type { SpectraCalls } from './api-spectra.ts';

export const spectraSchemas: Record<keyof SpectraCalls, z.ZodType> = {
  filterSpectra: z.object({
    model: z.string().min(1).max(4096).optional(),
    layer: z.string().min(1).max(1000).optional(),
    firing: z.boolean().optional(),
    jobId: z.string().min(1).max(200).optional(),
  }).strict(),
  spectraDemoModels: z.object({}).strict(),
};
