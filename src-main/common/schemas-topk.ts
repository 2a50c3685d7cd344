// Argument schemas for the topk calls.
import type { z } from 'zod';
import type { TopkCalls } from './api-topk.ts';

export const topkSchemas: Record<keyof TopkCalls, z.ZodType> = {};
