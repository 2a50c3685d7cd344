// Argument schemas for the invariance calls.
import { z } from 'zod';
import { TRANSFORM_KINDS, type InvarianceCalls } from './api-invariance.ts';

const path = z.string().min(1).max(4096);
const transform = z.enum(TRANSFORM_KINDS as [string, ...string[]]);
const theta = z.number().finite().min(-1e6).max(1e6);
const jobId = z.string().min(1).max(200);

export const invarianceSchemas: Record<keyof InvarianceCalls, z.ZodType> = {
  invarianceSweep: z.object({
    paths: z.array(path).min(1).max(1000),
    transform,
    thetas: z.array(theta).min(1).max(1000),
    layers: z.array(z.string().min(1).max(1000)).min(1).max(32).optional(),
    jobId: jobId.optional(),
  }).strict(),
  invarianceInput: z.object({ path, transform, theta }).strict(),
  shiftConsistency: z.object({
    paths: z.array(path).min(1).max(100_000).optional(),
    maxShift: z.number().int().min(0).max(4096).optional(),
    pairsPerImage: z.number().int().min(1).max(100).optional(),
    seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
    jobId: jobId.optional(),
  }).strict(),
};
