// Argument schemas for the correspondence calls. Boxes are checked against the open model's input,
// and a part's image count (at least two) with the part named, in core/service/correspondence-calls.ts.
import { z } from 'zod';
import type { CorrespondenceCalls } from './api-correspondence.ts';
import { intArg, LIMITS, listArg, textArg } from './arg-checks.ts';

const path = textArg(LIMITS.path);
const box = z.tuple([intArg(0, LIMITS.side), intArg(0, LIMITS.side), intArg(1, LIMITS.side), intArg(1, LIMITS.side)], {
  error: `must be [y, x, h, w], four integers in model-input pixels (h and w at least 1)`,
});
const part = z.object({
  name: textArg(200),
  // One image is let through here so that the call can say which part has too few (by name).
  boxes: listArg(z.object({ image: path, box }).strict(), 1, 1000),
}).strict();
const parts = listArg(part, 1, 100);

export const correspondenceSchemas: Record<keyof CorrespondenceCalls, z.ZodType> = {
  correspondence: z.object({
    parts,
    layers: listArg(textArg(LIMITS.layer), 1, 32).optional(),
    random: intArg(0, 1000).optional(),
    seed: intArg(0, LIMITS.seed).optional(),
    jobId: textArg(LIMITS.jobId).optional(),
  }).strict(),
  correspondenceInput: z.object({ path, box }).strict(),
  correspondenceParts: z.object({ parts: parts.optional() }).strict(),
};
