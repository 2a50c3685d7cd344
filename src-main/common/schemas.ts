// A schema per call, checked where requests enter the core (both transports share the dispatcher).
// Every number, string and list is bounded (common/arg-checks.ts says why and how messages read);
// limits that depend on the open model are checked again in the calls.
import { z } from 'zod';
import type { Method } from './api.ts';
import { intArg, LIMITS, listArg, numberArg, oneOf, textArg } from './arg-checks.ts';
import { correspondenceSchemas } from './schemas-correspondence.ts';
import { evolutionSchemas } from './schemas-evolution.ts';
import { invarianceSchemas } from './schemas-invariance.ts';
import { occlusionSchemas } from './schemas-occlusion.ts';
import { probeSchemas } from './schemas-probe.ts';
import { modelSchemas } from './schemas-model.ts';
import { spectraSchemas } from './schemas-spectra.ts';
import { topkSchemas } from './schemas-topk.ts';

const path = textArg(LIMITS.path);
const layer = textArg(LIMITS.layer);
const channel = intArg(0, LIMITS.index);
const position = z.tuple([intArg(0, LIMITS.side - 1), intArg(0, LIMITS.side - 1)], { error: `must be [y, x], two integers from 0 to ${LIMITS.side - 1}` });

export const preprocessingSchema = z.object({
  inputSize: z.tuple([intArg(1, LIMITS.side), intArg(1, LIMITS.side)], { error: `must be [H, W], two integers from 1 to ${LIMITS.side}` }),
  channels: oneOf(['RGB', 'BGR', 'gray']),
  scale: numberArg(0, 1e6, { aboveLo: true }),
  mean: listArg(numberArg(-1e6, 1e6), 1, 3),
  std: listArg(numberArg(0, 1e6, { aboveLo: true }), 1, 3),
  resize: oneOf(['shorter-side+center-crop', 'stretch']),
  layout: oneOf(['NCHW', 'NHWC']).optional(),
  labels: z.union([textArg(LIMITS.path), listArg(textArg(LIMITS.layer, 0), 1, 100_000)], { error: 'must be a label file name or a list of labels' }).optional(),
});

export const argSchemas: Record<Method, z.ZodType> = {
  getState: z.object({}).strict(),
  openModel: z.object({ path }).strict(),
  openFolder: z.object({ path }).strict(),
  listImages: z.object({ offset: intArg(0, 100_000_000), limit: intArg(1, 1000) }).strict(),
  thumbnail: z.object({ path, size: intArg(8, 512) }).strict(),
  imagePreview: z.object({ path }).strict(),
  predict: z.object({ path, topK: intArg(1, 100).optional() }).strict(),
  savePreprocessing: z.object({ preprocessing: preprocessingSchema }).strict(),
  modelInput: z.object({ path }).strict(),
  layerActivations: z.object({ path, layer }).strict(),
  project: z.object({
    path,
    layer,
    mode: oneOf(['single', 'map']),
    targets: listArg(z.object({ channel, position: position.optional() }).strict(), 1, 1024),
  }).strict(),
  projectAll: z.object({
    path,
    layer,
    mode: oneOf(['single', 'map']),
    channels: listArg(channel, 1, 65_536),
    jobId: textArg(LIMITS.jobId).optional(),
  }).strict(),
  browse: z.object({ path: path.optional(), kind: oneOf(['model', 'folder']) }).strict(),
  cancel: z.object({ jobId: textArg(LIMITS.jobId) }).strict(),
  jobs: z.object({}).strict(),
  jobResult: z.object({ jobId: textArg(LIMITS.jobId) }).strict(),
  jobParts: z.object({ jobId: textArg(LIMITS.jobId), from: intArg(0, 100_000_000) }).strict(),
  ...spectraSchemas,
  ...invarianceSchemas,
  ...topkSchemas,
  ...occlusionSchemas,
  ...correspondenceSchemas,
  ...probeSchemas,
  ...modelSchemas,
  ...evolutionSchemas,
};

export function isMethod(name: unknown): name is Method {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(argSchemas, name);
}
