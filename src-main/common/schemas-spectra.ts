// Argument schemas for the spectra calls.
import type { z } from 'zod';
import type { SpectraCalls } from './api-spectra.ts';

export const spectraSchemas: Record<keyof SpectraCalls, z.ZodType> = {};
