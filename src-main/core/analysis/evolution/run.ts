// Feature evolution (the paper's Fig. 4; DESIGN §3 "Feature evolution"): for a layer and a few of
// its maps, at each training checkpoint the folder's strongest image of each map, where, how strong,
// and its single-activation projection through that checkpoint's own weights and switches.
// Each checkpoint's part is a top-k scan (topk/run.ts, with its disk cache: a checkpoint scanned
// before costs nothing) whose first entry per map is the answer, plus one batch of projections.
// The same passes fetch the class scores, for the checkpoint's accuracy on a labelled folder.
import { AppError } from '../../../common/errors.ts';
import { quoted } from '../../../common/text.ts';
import type { ImageEntry } from '../../../common/types.ts';
import type { Projection } from '../../deconv/index.ts';
import { matchClassToLabel } from '../../images/index.ts';
import { checkCheckpointSet, type CheckpointFile } from '../../model/checkpoints.ts';
import type { ModelSession } from '../../model/model-session.ts';
import { modelContentHash } from '../topk/cache.ts';
import { resolveScanLayer, type ScanLayer } from '../topk/layers.ts';
import { defaultBatchSize } from '../map-maxima.ts';
import { DEFAULT_K, runTopk, type TopkRun } from '../topk/run.ts';
import { listSignatures } from '../topk/signature.ts';
import type { LayerTopkState, ListedImage } from '../topk/state.ts';
import { accuracyOf, addPredictions, loadPredictions, missingPredictions, savePredictions, type PredictionKey, type Predictions } from './predictions.ts';
import { DEFAULT_MAPS, DEFAULT_SEED, seededMapSubset } from './subset.ts';

export interface EvolutionRun {
  /** In order (model/checkpoints.ts listCheckpoints). */
  checkpoints: readonly CheckpointFile[];
  /** A session of a checkpoint that can project (every layer and switch tapped). */
  open: (c: CheckpointFile) => Promise<ModelSession>;
  /** Called once per opened session when the run ends (the caller may keep sessions of its own). */
  close?: (m: ModelSession) => Promise<void>;
  folder: { root: string; entries: readonly ImageEntry[] };
  layer: string;
  /** The maps shown; default the seeded subset of `maps` (DESIGN). */
  channels?: readonly number[];
  maps?: number;
  seed?: number;
  /** Decoded and preprocessed C×H×W input of a folder-relative path, for that checkpoint. */
  load: (model: ModelSession, path: string) => Promise<Float32Array>;
  cacheDir: string | null;
  /** Top-k states kept between calls (the service's). */
  memory?: Map<string, LayerTopkState>;
  /** false: positions and values only (no deconv). Default true. */
  projections?: boolean;
  signal?: AbortSignal;
  /** Images handled of checkpoints × images. */
  /** Checkpoints opened and compared so far, of all (all are, one at a time, before any image is scanned). */
  onOpened?: (opened: number, total: number) => void;
  onProgress?: (done: number, total: number) => void;
  onCacheWarning?: (message: string) => void;
  /** Called with each checkpoint's cells while its session is open (to render them, say). */
  onCheckpoint?: (model: ModelSession, index: number, cells: EvolutionCell[]) => Promise<void>;
}

export interface EvolutionCheckpoint {
  file: string;
  name: string;
  epoch: number | null;
  /** Share of the labelled images classified as their class sub-folder; null for an unlabelled folder. */
  accuracy: number | null;
  /** Images this run passed through the model for this checkpoint (0: all from the cache). */
  scanned: number;
  /** Wall time of this checkpoint's part: its scan, predictions and projections. */
  ms: number;
}

export interface EvolutionCell {
  /** Index into `checkpoints`. */
  checkpoint: number;
  image: string;
  position: [number, number];
  value: number;
  /** The single-activation projection of (map, position) on `image`, C×H×W; null when not asked for. */
  projection: Projection | null;
}

export interface EvolutionResult {
  layer: string;
  /** The tensor read (a conv layer: its ReLU). */
  tensor: string;
  dims: [number, number, number];
  checkpoints: EvolutionCheckpoint[];
  maps: { channel: number; entries: EvolutionCell[] }[];
  /** Images in the folder listing, and of those the ones that failed to load (with why). */
  images: number;
  failed: number;
  failures: { path: string; reason: string }[];
  ms: number;
}

/** The maps of a layer of C maps the run shows: the chosen channels (checked), or the seeded subset. */
export function evolutionChannels(layer: ScanLayer, o: Pick<EvolutionRun, 'channels' | 'maps' | 'seed'>): number[] {
  const C = layer.dims[0];
  if (o.channels?.length) {
    for (const c of o.channels) {
      if (!Number.isInteger(c) || c < 0 || c >= C) throw new AppError('INVALID_ARGUMENT', `channel ${c} is out of range: layer ${quoted(layer.layer)} has ${C} maps`, { layer: layer.layer });
    }
    return [...new Set(o.channels)];
  }
  return seededMapSubset(C, o.maps ?? DEFAULT_MAPS, o.seed ?? DEFAULT_SEED);
}

export async function runEvolution(r: EvolutionRun): Promise<EvolutionResult> {
  const t0 = performance.now();
  if (r.checkpoints.length === 0) throw new AppError('NOT_FOUND', 'no checkpoint to scan');
  // Each checkpoint's scan cache is keyed by its file's hash: hashed here while the runtime opens them.
  for (const c of r.checkpoints) modelContentHash(c.file).catch(() => {});
  let open: ModelSession | null = null;
  try {
    // All compared before any image is scanned (a mismatch fails at once), one open at a time.
    const first = await checkCheckpointSet(r.checkpoints, { open: r.open, close: r.close, onChecked: r.onOpened, signal: r.signal });
    open = first;
    const layer = resolveScanLayer(first.info.layers, r.layer, first.info.name);
    const channels = evolutionChannels(layer, r);
    const paths = r.folder.entries.map((e) => e.path);
    const listing = await listSignatures(r.folder.root, paths, r.signal);
    const N = listing.length;
    const total = N * r.checkpoints.length;
    const checkpoints: EvolutionCheckpoint[] = [];
    const cells: EvolutionCell[][] = channels.map(() => []);
    const failures = new Map<string, string>();
    for (const [i, c] of r.checkpoints.entries()) {
      r.signal?.throwIfAborted();
      const model: ModelSession = i === 0 ? first : await r.open(c);
      open = model;
      const base = i * N;
      const progress = (done: number) => r.onProgress?.(Math.min(total, base + done), total);
      const t1 = performance.now();
      const part = await checkpointPart(r, model, layer, channels, listing, progress);
      for (const f of part.failures) if (!failures.has(f.path)) failures.set(f.path, f.reason);
      checkpoints.push({ file: c.file, name: c.name, epoch: c.epoch, accuracy: part.accuracy, scanned: part.scanned, ms: performance.now() - t1 });
      const mine = part.cells.map((cell) => ({ ...cell, checkpoint: i }));
      mine.forEach((cell, j) => cells[j].push(cell));
      await r.onCheckpoint?.(model, i, mine);
      progress(N);
      open = null;
      await r.close?.(model);
    }
    return {
      layer: r.layer, tensor: layer.tensor, dims: layer.dims, checkpoints,
      maps: channels.map((channel, j) => ({ channel, entries: cells[j] })),
      images: N, failed: failures.size, failures: [...failures].map(([p, reason]) => ({ path: p, reason })), ms: performance.now() - t0,
    };
  } catch (e) {
    throw r.signal?.aborted && (e as AppError).code !== 'CANCELLED' ? new AppError('CANCELLED', 'feature evolution cancelled') : e;
  } finally {
    if (open) await r.close?.(open).catch(() => {});
  }
}

/** The class index of each labelled image for this model's labels; images of other classes do not count. */
function truthOf(model: ModelSession, entries: readonly ImageEntry[]): Map<string, number> {
  const truth = new Map<string, number>();
  for (const e of entries) {
    if (e.className === null) continue;
    const c = matchClassToLabel(e.className, model.info.labels);
    if (c !== null && c < model.info.numClasses) truth.set(e.path, c);
  }
  return truth;
}

async function checkpointPart(r: EvolutionRun, model: ModelSession, layer: ScanLayer, channels: number[], listing: ListedImage[], progress: (done: number) => void) {
  const N = listing.length;
  const truth = truthOf(model, r.folder.entries);
  const output = model.info.outputs[0].name;
  const key: PredictionKey = { modelHash: await modelContentHash(model.info.path), preprocessing: model.info.preprocessing, folder: r.folder.root };
  const predictions: Predictions = truth.size ? await loadPredictions(r.cacheDir, key) : new Map();
  const load = (p: string) => r.load(model, p);
  // Predictions in the scan's passes only where the folder's classes name the model's (else the accuracy is null).
  const predicting: Pick<TopkRun, 'also' | 'onAlso'> = truth.size ? { also: [output], onAlso: (images, t) => addPredictions(predictions, images, t[output]) } : {};
  // The scan counts only what its cache lacks; progress starts where the cache left off.
  const scan = await runTopk({
    model, folder: { root: r.folder.root, paths: listing.map((l) => l.path) }, listing, layers: [r.layer], k: DEFAULT_K, load,
    cacheDir: r.cacheDir, memory: r.memory, signal: r.signal, onCacheWarning: r.onCacheWarning,
    onProgress: (d, t) => progress(N - t + d),
    ...predicting,
  });
  const state = scan!.layers[0];
  let accuracy: number | null = null;
  if (truth.size) {
    const missing = missingPredictions(predictions, listing.filter((l) => truth.has(l.path)));
    if (missing.length) await predict(model, missing, load, predictions, r.signal);
    accuracy = accuracyOf(predictions, listing, truth);
    if (scan!.scanned > 0 || missing.length) await savePredictions(r.cacheDir, key, predictions).catch((e: Error) => r.onCacheWarning?.(`could not write the prediction cache: ${e.message}`));
  }
  const tops = channels.map((c) => {
    const top = state.maps[c].entries[0];
    if (!top) throw new AppError('FOLDER_EMPTY', `${model.info.name}: no image of ${r.folder.root} could be read`, { file: r.folder.root });
    return top;
  });
  const projections = r.projections === false ? null : await projectTops(model, layer, channels, tops, load);
  return {
    accuracy, scanned: scan!.scanned, failures: scan!.failures,
    cells: tops.map((t, j) => ({ image: t.image, position: t.position, value: t.value, projection: projections?.[j] ?? null })),
  };
}

/** Class predictions of images a cached scan did not pass through the model: a plain forward loop. */
async function predict(model: ModelSession, images: ListedImage[], load: (p: string) => Promise<Float32Array>, predictions: Predictions, signal?: AbortSignal): Promise<void> {
  const { channels, height, width } = model.info.input;
  const size = channels * height * width;
  const batchSize = defaultBatchSize(size, images.length);
  const forward = await model.forwardAt([]);
  const output = model.info.outputs[0].name;
  for (let start = 0; start < images.length; start += batchSize) {
    if (signal?.aborted) throw new AppError('CANCELLED', 'feature evolution cancelled');
    const part = images.slice(start, start + batchSize);
    const loaded = await Promise.all(part.map((i) => load(i.path).then((t) => ({ i, t }), () => null)));
    const ok = loaded.filter((x) => x !== null);
    if (!ok.length) continue;
    const batch = new Float32Array(ok.length * size);
    ok.forEach((x, j) => batch.set(x.t, j * size));
    const out = await forward(batch, ok.length, [output]);
    addPredictions(predictions, ok.map((x) => x.i), out[output]);
  }
}

/** One kept batch of the distinct top images, and every map's projection from it in one call. */
async function projectTops(model: ModelSession, layer: ScanLayer, channels: number[], tops: { image: string; position: [number, number] }[], load: (p: string) => Promise<Float32Array>): Promise<Projection[]> {
  const images = [...new Set(tops.map((t) => t.image))];
  const { channels: C, height, width } = model.info.input;
  const size = C * height * width;
  const batch = new Float32Array(images.length * size);
  (await Promise.all(images.map(load))).forEach((t, j) => batch.set(t, j * size));
  const requests = tops.map((t, j) => ({ layer: layer.tensor, channel: channels[j], mode: 'single' as const, position: t.position, batchIndex: images.indexOf(t.image) }));
  const keepId = `evolution|${model.info.path}|${layer.tensor}|${images.join('|')}`;
  await model.keep(keepId, batch, [layer.tensor], images.length, [layer.tensor]);
  return model.project(keepId, async () => batch, requests, images.length);
}
