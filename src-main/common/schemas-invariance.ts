// Argument schemas for the invariance calls.
import type { z } from 'zod';
import type { InvarianceCalls } from './api-invariance.ts';

export const invarianceSchemas: Record<keyof InvarianceCalls, z.ZodType> = {};
