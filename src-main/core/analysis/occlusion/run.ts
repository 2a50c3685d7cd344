// Occlusion and its faithfulness check over an opened model: defaults (target class, feature map,
// occluder size), batching, and the result shapes the API and the CLI share.
import type { FaithfulnessResult, OcclusionResult } from '../../../common/api-occlusion.ts';
import { AppError } from '../../../common/errors.ts';
import { mapDims, noMapsMessage } from '../../../common/layers.ts';
import { receptiveFieldBox } from '../../model/pixels.ts';
import type { ModelSession } from '../../model/model-session.ts';
import { lastConvLayerId, resolveScanLayer } from '../topk/layers.ts';
import { faithfulness } from './faithfulness.ts';
import { occlusionGeometry } from './grid.ts';
import { occlusionSensitivity } from './occlusion.ts';

export interface OcclusionOptions {
  size?: number;
  stride?: number;
  /** A class asked for; wins over the true class. */
  targetClass?: number;
  /** The image's true class (from its folder name), used when no class is asked for. */
  trueClass?: number | null;
  layer?: string;
  channel?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

function inputDims(model: ModelSession): [number, number, number] {
  const { channels, height, width } = model.info.input;
  return [channels, height, width];
}

/** The map of `tensor` with the largest maximum on `image` (the paper's "strongest feature map"). */
export async function strongestMap(model: ModelSession, image: Float32Array, tensor: string): Promise<{ channel: number; position: [number, number]; value: number }> {
  return (await strongestMaps(model, image, [tensor]))[0];
}

/** `strongestMap` of each of `tensors`, from one forward pass (the report's faithfulness of every conv layer). */
export async function strongestMaps(model: ModelSession, image: Float32Array, tensors: readonly string[]): Promise<{ channel: number; position: [number, number]; value: number }[]> {
  const out = await model.forward(image, 1, [...new Set(tensors)]);
  return tensors.map((tensor) => {
    const t = out[tensor];
    const dims = mapDims(t.dims);
    if (!dims) throw new AppError('MODEL_UNSUPPORTED', noMapsMessage(tensor, t.dims), { layer: tensor });
    const [C, H, W] = dims;
    const data = t.data as Float32Array;
    let best = 0;
    for (let i = 1; i < C * H * W; i++) if (data[i] > data[best]) best = i;
    const c = Math.floor(best / (H * W));
    const at = best % (H * W);
    return { channel: c, position: [Math.floor(at / W), at % W], value: data[best] };
  });
}

/**
 * Positions per forward pass: at most 64 and about 4 M input values, and small enough that the
 * grid takes some 16 passes, so the progress moves on a big model (AlexNet: 225 positions in 15s).
 */
export function occlusionBatchSize(cells: number, inputSize: number): number {
  return Math.max(1, Math.min(64, Math.floor(4_000_000 / inputSize), Math.ceil((cells + 1) / 16)));
}

export async function runOcclusion(model: ModelSession, image: Float32Array, path: string, o: OcclusionOptions): Promise<OcclusionResult> {
  const t0 = performance.now();
  const dims = inputDims(model);
  const geometry = occlusionGeometry(dims[1], dims[2], o.size, o.stride);
  const cells = geometry.rows * geometry.cols;
  // The count is known before the first pass (the strongest map, the tapped copy of the model): the
  // progress says `0 / 225 positions` from the start rather than a job of one unit.
  o.onProgress?.(0, cells);
  const layerId = o.layer ?? lastConvLayerId(model.info.layers);
  if (!layerId) throw new AppError('MODEL_UNSUPPORTED', `${model.info.name} has no conv layer; choose a layer for the activity map`);
  const layer = resolveScanLayer(model.info.layers, layerId, model.info.name);
  const channel = o.channel ?? (await strongestMap(model, image, layer.tensor)).channel;
  if (channel >= layer.dims[0]) throw new AppError('INVALID_ARGUMENT', `layer "${layerId}" has ${layer.dims[0]} maps; there is no map ${channel}`, { layer: layerId });
  const K = model.info.numClasses;
  if (o.targetClass !== undefined && (o.targetClass < 0 || o.targetClass >= K)) {
    throw new AppError('INVALID_ARGUMENT', `class ${o.targetClass} is outside 0…${K - 1} of ${model.info.name}`);
  }
  const chosen = o.targetClass ?? o.trueClass ?? null;
  const maps = await occlusionSensitivity({
    image,
    dims,
    geometry,
    forward: await model.forwardAt([layer.tensor]),
    output: model.info.outputs[0].name,
    probabilities: model.outputIsProbability,
    tensor: layer.tensor,
    channel,
    targetClass: chosen,
    batchSize: occlusionBatchSize(cells, image.length),
    signal: o.signal,
    onProgress: o.onProgress,
  });
  const labels: Record<number, string> = {};
  for (const c of new Set([...maps.top1, maps.base.top1, maps.targetClass])) labels[c] = model.label(c);
  return {
    path,
    size: geometry.size,
    stride: geometry.stride,
    grid: [geometry.rows, geometry.cols],
    targetClass: maps.targetClass,
    targetLabel: model.label(maps.targetClass),
    targetSource: o.targetClass !== undefined ? 'chosen' : o.trueClass != null ? 'true' : 'top1',
    pClass: maps.pClass,
    top1: maps.top1,
    activity: maps.activity,
    layer: layerId,
    tensor: layer.tensor,
    channel,
    base: maps.base,
    labels,
    ms: performance.now() - t0,
  };
}

export interface FaithfulnessOptions {
  layer: string;
  channel: number;
  position?: [number, number];
  size?: number;
  trials?: number;
  seed?: number;
}

/** `keepId`: where the runtime keeps this image's forward pass for the projection. */
export async function runFaithfulness(
  model: ModelSession,
  image: Float32Array,
  path: string,
  keepId: string,
  o: FaithfulnessOptions,
): Promise<Omit<FaithfulnessResult, 'mask'> & { maskPixels: Uint8Array }> {
  const t0 = performance.now();
  const dims = inputDims(model);
  const layer = resolveScanLayer(model.info.layers, o.layer, model.info.name);
  if (o.channel >= layer.dims[0]) throw new AppError('INVALID_ARGUMENT', `layer "${o.layer}" has ${layer.dims[0]} maps; there is no map ${o.channel}`, { layer: o.layer });
  const rf = model.info.layers.find((l) => l.id === layer.tensor)?.receptiveField;
  if (!rf) throw new AppError('MODEL_UNSUPPORTED', `layer "${o.layer}" has no receptive field (not a spatial layer)`, { layer: o.layer });
  await model.keep(keepId, image, [layer.tensor], 1, [layer.tensor]);
  const [p] = await model.project(keepId, async () => image, [{ layer: layer.tensor, channel: o.channel, mode: 'single', position: o.position }]);
  const position = p.position!;
  const box = receptiveFieldBox(rf, position, dims[1], dims[2]);
  // The geometry checks an explicit size against the input, as occlusion's does.
  const size = occlusionGeometry(dims[1], dims[2], o.size).size;
  const seed = o.seed ?? 1;
  const f = await faithfulness({
    image, dims, projection: p.data, forward: await model.forwardAt([layer.tensor]), tensor: layer.tensor, channel: o.channel, position, box, size,
    trials: o.trials ?? 8, seed,
  });
  const randomDrop = f.random.reduce((a, v) => a + (f.value - v), 0) / Math.max(1, f.random.length);
  const maskPixels = new Uint8Array(f.mask.length);
  for (let i = 0; i < f.mask.length; i++) maskPixels[i] = f.mask[i] ? 255 : 0;
  return {
    path, layer: o.layer, tensor: layer.tensor, channel: o.channel, position, value: f.value, area: f.area, projected: f.projected, random: f.random,
    projectedDrop: f.value - f.projected, randomDrop, maskPixels, box, seed, ms: performance.now() - t0,
  };
}
