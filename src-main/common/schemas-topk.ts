// Argument schemas for the topk calls.
import { z } from 'zod';
import type { TopkCalls } from './api-topk.ts';

const path = z.string().min(1).max(4096);
const layer = z.string().min(1).max(1000);
const k = z.number().int().min(1).max(64).optional();
const jobId = z.string().min(1).max(200).optional();
const position = z.tuple([z.number().int().min(0), z.number().int().min(0)]);

export const topkSchemas: Record<keyof TopkCalls, z.ZodType> = {
  topkScan: z.object({ layers: z.array(layer).min(1).max(256), k, jobId }).strict(),
  topkCached: z.object({ layers: z.array(layer).min(1).max(256), k }).strict(),
  topkTiles: z.object({ layer, channel: z.number().int().min(0), k, projections: z.boolean().optional() }).strict(),
  occlusion: z.object({
    path,
    size: z.number().int().min(0).max(4096).optional(),
    stride: z.number().int().min(1).max(4096).optional(),
    targetClass: z.number().int().min(0).optional(),
    layer: layer.optional(),
    channel: z.number().int().min(0).optional(),
    jobId,
  }).strict(),
  occlusionFaithfulness: z.object({
    path,
    layer,
    channel: z.number().int().min(0),
    position: position.optional(),
    size: z.number().int().min(1).max(4096).optional(),
    trials: z.number().int().min(1).max(64).optional(),
    seed: z.number().int().min(0).max(2 ** 31).optional(),
  }).strict(),
};
