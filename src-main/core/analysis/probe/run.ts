// Linear probes of one model on a labelled folder (DESIGN §3 "Linear probe"): features of every
// chosen layer in one pass, then each layer's k-fold ridge fit in the compute process. A checkpoint
// set probes each of its models with this same function.
import type { ProbeLayerResult, ProbeResult } from '../../../common/api-probe.ts';
import { AppError } from '../../../common/errors.ts';
import { activationLayerId } from '../../../common/layers.ts';
import { quoted } from '../../../common/text.ts';
import type { ImageEntry, LayerInfo } from '../../../common/types.ts';
import { matchClassToLabel } from '../../images/index.ts';
import type { ModelSession } from '../../model/model-session.ts';
import { analysisProcessPool } from '../compute.ts';
import { gatherFeatures, type GatheredFeatures } from './features.ts';
import { DEFAULT_FOLDS, DEFAULT_LAMBDA, majorityShare, probeImages, type ProbeImages } from './folds.ts';

export interface ProbeFolder {
  /** The folder, for messages. */
  root: string;
  entries: readonly ImageEntry[];
  /** Decoded and preprocessed C×H×W input of a folder-relative path. */
  load: (path: string) => Promise<Float32Array>;
}

export interface ProbeOptions {
  /** Layer ids, or 'all' (`allProbeLayers`); default `defaultProbeLayers`. */
  layers?: readonly string[] | 'all';
  folds?: number;
  lambda?: number;
  batchSize?: number;
}

export type ProbeProgress = (stage: 'images' | 'fitting', done: number, total: number) => void;

/** Every conv layer and every hidden fc layer (an fc layer whose output is not a model output). */
export function defaultProbeLayers(layers: readonly Pick<LayerInfo, 'id' | 'kind'>[], outputs: readonly string[]): string[] {
  return layers.filter((l) => l.kind === 'conv' || (l.kind === 'fc' && !outputs.includes(l.id))).map((l) => l.id);
}

/** Every layer but the model's outputs (`--layers all`). */
export function allProbeLayers(layers: readonly Pick<LayerInfo, 'id'>[], outputs: readonly string[]): string[] {
  return layers.filter((l) => !outputs.includes(l.id)).map((l) => l.id);
}

/** The tensor a probe of `id` reads (activation rule: a conv or fc layer after its ReLU). */
export function probeTensor(layers: readonly Pick<LayerInfo, 'id' | 'op' | 'kind'>[], id: string, modelName: string): string {
  if (!layers.some((l) => l.id === id)) throw new AppError('NOT_FOUND', `${modelName} has no layer ${quoted(id)}`, { layer: id });
  return activationLayerId(layers, id);
}

export interface ProbePlan {
  layers: string[];
  /** The tensor each layer is read at. */
  tensorOf: string[];
  /** The distinct tensors, in layer order: what the means copy of the model outputs. */
  tensors: string[];
}

/** Which tensors a probe of `ids` (default `defaultProbeLayers`) reads, from the graph alone (a CLI plans its one model copy with it). */
export function probePlan(layers: readonly Pick<LayerInfo, 'id' | 'op' | 'kind'>[], outputs: readonly string[], modelName: string, ids?: readonly string[] | 'all'): ProbePlan {
  const chosen = [...new Set(ids === 'all' ? allProbeLayers(layers, outputs) : (ids ?? defaultProbeLayers(layers, outputs)))];
  if (chosen.length === 0) throw new AppError('INVALID_ARGUMENT', `${modelName} has no conv or hidden fc layer to probe`);
  const tensorOf = chosen.map((id) => probeTensor(layers, id, modelName));
  return { layers: chosen, tensorOf, tensors: [...new Set(tensorOf)] };
}

/** A model's features gathered for its probes, ready to fit (`gatherProbe`, then `fitProbes`). */
export interface GatheredProbe {
  model: string;
  k: number;
  lambda: number;
  layerIds: string[];
  tensorOf: string[];
  tensors: string[];
  images: ProbeImages;
  /** Per tensor: images.paths.length × widths[t] features, rows in `images` order. */
  features: Float32Array<ArrayBuffer>[];
  widths: number[];
  modelAccuracy: number | null;
  skipped: { path: string; reason: string }[];
  t0: number;
}

/** What a probe of `model` on `folder` reads, checked before any image is read (an unlabelled folder fails at once). */
export interface ProbeSetup {
  model: ModelSession;
  folder: ProbeFolder;
  k: number;
  lambda: number;
  plan: ProbePlan;
  /** The labelled images, sorted by path: the rows features are gathered in. */
  listed: ProbeImages;
  t0: number;
}

export function probeSetup(model: ModelSession, folder: ProbeFolder, options: ProbeOptions = {}): ProbeSetup {
  const t0 = performance.now();
  const k = options.folds ?? DEFAULT_FOLDS;
  const lambda = options.lambda ?? DEFAULT_LAMBDA;
  if (!(lambda > 0) || !Number.isFinite(lambda)) throw new AppError('INVALID_ARGUMENT', `λ must be a positive number, got ${lambda}`);
  const { info } = model;
  const plan = probePlan(info.layers, info.outputs.map((o) => o.name), info.name, options.layers);
  return { model, folder, k, lambda, plan, listed: probeImages(folder.entries, k, folder.root), t0 };
}

/** The features of every chosen layer of `model` over the labelled images of `folder`, in one pass. */
export async function gatherProbe(model: ModelSession, folder: ProbeFolder, options: ProbeOptions = {}, progress?: ProbeProgress, signal?: AbortSignal): Promise<GatheredProbe> {
  const setup = probeSetup(model, folder, options);
  const { listed } = setup;
  const gathered = await gatherFeatures(model, setup.plan.tensors, listed.paths.length, (i) => folder.load(listed.paths[i]), {
    batchSize: options.batchSize,
    signal,
    onProgress: (d, t) => progress?.('images', d, t),
  });
  return assembleProbe(setup, gathered);
}

/**
 * The probe's rows from features gathered over `setup.listed` (by the probe's own pass, or by a
 * report's top-k scan: probe/scan-features.ts): folds over the images that could be read, so every
 * fold rule holds for what is fitted.
 */
export function assembleProbe(setup: ProbeSetup, gathered: GatheredFeatures): GatheredProbe {
  const { model: { info }, folder, k, lambda, listed, t0 } = setup;
  const { layers: layerIds, tensorOf, tensors } = setup.plan;
  const className = new Map(folder.entries.map((e) => [e.path, e.className]));
  const failed = new Set(gathered.failures.map((f) => f.index));
  const kept = listed.paths.flatMap((p, i) => (failed.has(i) ? [] : [i]));
  if (kept.length === 0) throw new AppError('FOLDER_EMPTY', `none of the ${listed.paths.length} labelled images of ${folder.root} could be read`, { file: folder.root });
  const images = probeImages(kept.map((i) => ({ path: listed.paths[i], className: className.get(listed.paths[i]) ?? null })), k, folder.root);
  const rowOf = new Map(kept.map((i, r) => [listed.paths[i], r]));

  let hits = 0;
  let matched = 0;
  images.paths.forEach((p, r) => {
    const want = matchClassToLabel(images.classes[images.labels[r]], info.labels);
    if (want === null) return;
    matched++;
    if (gathered.top1[kept[rowOf.get(p)!]] === want) hits++;
  });
  const features = gathered.features.map((all, t) => {
    const F = gathered.widths[t];
    const X = new Float32Array(images.paths.length * F);
    images.paths.forEach((p, r) => {
      const row = kept[rowOf.get(p)!];
      X.set(all.subarray(row * F, (row + 1) * F), r * F);
    });
    return X;
  });
  return {
    model: info.name, k, lambda, layerIds, tensorOf, tensors, images, features, widths: gathered.widths,
    modelAccuracy: matched ? hits / matched : null,
    skipped: [
      ...listed.unlabelled.map((p) => ({ path: p, reason: 'not in a class sub-folder' })),
      ...gathered.failures.map((f) => ({ path: listed.paths[f.index], reason: f.reason })),
    ],
    t0,
  };
}

/** Each layer's k-fold fit in the compute process; progress counts layers × folds. */
export async function fitProbes(g: GatheredProbe, progress?: (done: number, total: number) => void, signal?: AbortSignal): Promise<ProbeResult> {
  const { k, lambda, images, layerIds, tensorOf, tensors } = g;
  const results: ProbeLayerResult[] = [];
  const total = layerIds.length * k;
  progress?.(0, total);
  // `--layers all` names a conv layer and its ReLU, which read one tensor: fitted once.
  const fits = new Map<string, ProbeLayerResult>();
  for (const [li, layer] of layerIds.entries()) {
    if (signal?.aborted) throw new AppError('CANCELLED', 'probe: cancelled');
    let fit = fits.get(tensorOf[li]);
    if (!fit) {
      const t = tensors.indexOf(tensorOf[li]);
      const F = g.widths[t];
      // In the compute process (onnxruntime's Gemm, kept out of this process); copied there.
      const X = g.features[t];
      const f = await analysisProcessPool().run('probeFit', {
        features: X, n: images.paths.length, F, labels: images.labels, classes: images.classes.length, folds: images.folds, k, lambda, layer,
      }, { signal, doing: `fitting the probe of ${layer}` });
      fit = { layer, tensor: tensorOf[li], features: F, accuracy: f.accuracy, std: f.std, foldAccuracies: f.foldAccuracies };
      fits.set(tensorOf[li], fit);
    }
    results.push({ ...fit, layer });
    progress?.((li + 1) * k, total);
  }
  return {
    model: g.model,
    images: images.paths.length,
    classes: images.classes.length,
    classNames: images.classes,
    folds: k,
    lambda,
    modelAccuracy: g.modelAccuracy,
    chance: majorityShare(images.labels, images.classes.length),
    layers: results,
    skipped: g.skipped,
    ms: performance.now() - g.t0,
  };
}

/** Linear probes of every chosen layer of `model` on the labelled images of `folder`. */
export async function probeModel(model: ModelSession, folder: ProbeFolder, options: ProbeOptions = {}, progress?: ProbeProgress, signal?: AbortSignal): Promise<ProbeResult> {
  const g = await gatherProbe(model, folder, options, progress, signal);
  return fitProbes(g, (d, t) => progress?.('fitting', d, t), signal);
}
