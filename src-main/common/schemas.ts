// A schema per call, checked where requests enter the core (both transports share the dispatcher).
import { z } from 'zod';
import type { Method } from './api.ts';
import { invarianceSchemas } from './schemas-invariance.ts';
import { spectraSchemas } from './schemas-spectra.ts';
import { topkSchemas } from './schemas-topk.ts';

const path = z.string().min(1).max(4096);

export const preprocessingSchema = z.object({
  inputSize: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  channels: z.enum(['RGB', 'BGR', 'gray']),
  scale: z.number().positive(),
  mean: z.array(z.number()).min(1).max(3),
  std: z.array(z.number().positive()).min(1).max(3),
  resize: z.enum(['shorter-side+center-crop', 'stretch']),
  labels: z.union([z.string(), z.array(z.string())]).optional(),
});

export const argSchemas: Record<Method, z.ZodType> = {
  getState: z.object({}).strict(),
  openModel: z.object({ path }).strict(),
  openFolder: z.object({ path }).strict(),
  listImages: z.object({ offset: z.number().int().min(0), limit: z.number().int().min(1).max(1000) }).strict(),
  thumbnail: z.object({ path, size: z.number().int().min(8).max(512) }).strict(),
  imagePreview: z.object({ path }).strict(),
  predict: z.object({ path, topK: z.number().int().min(1).max(100).optional() }).strict(),
  savePreprocessing: z.object({ preprocessing: preprocessingSchema }).strict(),
  modelInput: z.object({ path }).strict(),
  layerActivations: z.object({ path, layer: z.string().min(1).max(1000) }).strict(),
  project: z.object({
    path,
    layer: z.string().min(1).max(1000),
    mode: z.enum(['single', 'map']),
    targets: z.array(z.object({
      channel: z.number().int().min(0),
      position: z.tuple([z.number().int().min(0), z.number().int().min(0)]).optional(),
    }).strict()).min(1).max(1024),
  }).strict(),
  browse: z.object({ path: path.optional(), kind: z.enum(['model', 'folder']) }).strict(),
  cancel: z.object({ jobId: z.string().min(1).max(200) }).strict(),
  ...spectraSchemas,
  ...invarianceSchemas,
  ...topkSchemas,
};

export function isMethod(name: unknown): name is Method {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(argSchemas, name);
}
