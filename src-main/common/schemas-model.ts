// Argument schemas for the Model overview calls (core/service/model-calls.ts).
import { z } from 'zod';
import type { ModelCalls } from './api-model.ts';
import { TRANSFORM_KINDS, type TransformKind } from './api-invariance.ts';
import { LIMITS, listArg, numberArg, oneOf, textArg } from './arg-checks.ts';
import { REPORT_SECTIONS } from './api-model.ts';

export const modelSchemas: Record<keyof ModelCalls, z.ZodType> = {
  layerMetrics: z.object({
    transform: oneOf(TRANSFORM_KINDS as readonly TransformKind[] as [TransformKind, ...TransformKind[]]).optional(),
    theta: numberArg(-1e6, 1e6).optional(),
  }).strict(),
  modelReport: z.object({
    sections: listArg(oneOf(REPORT_SECTIONS), 1, REPORT_SECTIONS.length).optional(),
    jobId: textArg(LIMITS.jobId).optional(),
  }).strict(),
};
