// A top-k scan as the app and the CLI run it: resolve the layers, take each layer's state from
// memory or the disk cache, start over where counted images were removed or changed, scan what is
// missing, and save: at checkpoints during the scan (so a killed process keeps most of its work)
// and at the end, also when the scan is cancelled, which is how a later scan resumes.
import type { TopkLayerResult, TopkScanResult } from '../../../common/api-topk.ts';
import { AppError } from '../../../common/errors.ts';
import type { ModelSession } from '../../model/model-session.ts';
import { loadState, modelContentHash, saveState, type CacheKey } from './cache.ts';
import { Checkpoints, checkpointIntervalMs } from './checkpoint.ts';
import { resolveScanLayer, type ScanLayer } from './layers.ts';
import { scanTopk, type TopkScanOptions } from './scan.ts';
import { listSignatures } from './signature.ts';
import { diffListing, emptyState, neverFires, pruneFailed, summarise, type LayerTopkState, type ListedImage } from './state.ts';
import { addPart, type TopkPart } from './merge.ts';
import type { Preprocessing } from '../../../common/types.ts';
import { defaultBatchSize } from '../map-maxima.ts';

export const DEFAULT_K = 9;

export interface TopkRun {
  model: ModelSession;
  folder: { root: string; paths: readonly string[] };
  layers: readonly string[];
  k?: number;
  /** Decoded and preprocessed C×H×W input of a folder-relative path. */
  load: (path: string) => Promise<Float32Array>;
  /** Cache folder, or null for none. */
  cacheDir: string | null;
  /** States kept between calls (the service's); keyed like the cache files. */
  memory?: Map<string, LayerTopkState>;
  /** false: report what is cached, scan nothing. */
  scan?: boolean;
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Milliseconds between checkpoints during a scan (default $CONVSCOPE_CHECKPOINT_SECONDS, else 10 s). */
  checkpointMs?: number;
  /** `folder.paths` with their file signatures, when the caller listed them already (several scans of one folder). */
  listing?: readonly ListedImage[];
  /** Tensors fetched in the scan's own passes and handed to `onAlso` (the class scores, for an accuracy). */
  also?: string[];
  /** Scanned tensors whose per-map means are handed to `onAlso` too (a report's probe features). */
  means?: string[];
  onAlso?: TopkScanOptions['onAlso'];
  /** The first failure to write the cache (the scan goes on without it). */
  onCacheWarning?: (message: string) => void;
  /** Scans elsewhere (workers on a queue) instead of with `model`, which then only describes the layers. */
  remote?: RemoteTopk;
}

/** What a scan elsewhere is asked: the images still to do, for every layer at once. */
export interface RemoteTopkRequest {
  layers: ScanLayer[];
  k: number;
  /** Absolute path of the model and its content hash (workers check theirs against it). */
  modelFile: string;
  modelHash: string;
  preprocessing: Preprocessing;
  batchSize: number;
  root: string;
  todo: ListedImage[];
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface RemoteTopkOutcome {
  /** Per requested layer (same order), the part of the images covered. */
  parts: TopkPart[];
  /** The images of `todo` the parts cover: all of them, unless cancelled. */
  covered: ListedImage[];
  cancelled: boolean;
}

export type RemoteTopk = (request: RemoteTopkRequest) => Promise<RemoteTopkOutcome>;

export interface TopkRunResult extends TopkScanResult {
  /** Layers whose cache file was unusable (damaged or inconsistent) and was rebuilt, with why. */
  cacheRejected: { layer: string; reason: string }[];
  /** Listed images that failed to load, by path (the union over the layers), with the reason. */
  failures: { path: string; reason: string }[];
}

function memoryKey(key: CacheKey): string {
  return JSON.stringify([key.modelHash, key.layer.tensor, key.k, key.preprocessing, key.folder]);
}

/** The state of one layer as memory or the disk cache holds it, without listing the folder (for tiles). */
export async function findState(r: Pick<TopkRun, 'model' | 'k' | 'cacheDir' | 'memory'> & { root: string; layer: string }): Promise<LayerTopkState | null> {
  const { info } = r.model;
  const layer = resolveScanLayer(info.layers, r.layer, info.name);
  const key: CacheKey = { modelHash: await modelContentHash(info.path), layer, k: r.k ?? DEFAULT_K, preprocessing: info.preprocessing, folder: r.root };
  const s = r.memory?.get(memoryKey(key)) ?? (r.cacheDir ? (await loadState(r.cacheDir, key)).state : null);
  if (s && r.memory) r.memory.set(memoryKey(key), s);
  return s;
}

export async function runTopk(r: TopkRun): Promise<TopkRunResult | null> {
  const t0 = performance.now();
  const k = r.k ?? DEFAULT_K;
  if (!Number.isInteger(k) || k < 1) throw new AppError('BAD_REQUEST', `k must be a positive integer, got ${k}`);
  if (r.layers.length === 0) throw new AppError('BAD_REQUEST', 'no layer to scan');
  const { info } = r.model;
  const scanLayers: ScanLayer[] = [...new Set(r.layers)].map((id) => resolveScanLayer(info.layers, id, info.name));
  const modelHash = await modelContentHash(info.path);
  const keys: CacheKey[] = scanLayers.map((layer) => ({ modelHash, layer, k, preprocessing: info.preprocessing, folder: r.folder.root }));
  const listing: readonly ListedImage[] = r.listing ?? (await listSignatures(r.folder.root, r.folder.paths, r.signal));

  const states: LayerTopkState[] = [];
  const rescanned: string[] = [];
  const cacheRejected: TopkRunResult['cacheRejected'] = [];
  let anyCached = false;
  for (const [i, key] of keys.entries()) {
    const mk = memoryKey(key);
    let s = r.memory?.get(mk) ?? null;
    if (!s && r.cacheDir) {
      const loaded = await loadState(r.cacheDir, key);
      s = loaded.state;
      if (!loaded.state && loaded.problem && !loaded.outdated) cacheRejected.push({ layer: key.layer.layer, reason: loaded.problem });
    }
    if (s) anyCached = true;
    // Maxima of removed or changed images cannot be subtracted (only k per map are kept), so a
    // layer holding any of them starts over; added images alone are scanned incrementally.
    if (s && r.scan !== false) pruneFailed(s, listing);
    if (s && r.scan !== false && diffListing(s, listing).stale > 0) {
      s = null;
      rescanned.push(key.layer.layer);
    }
    const fresh = !s;
    s ??= emptyState(scanLayers[i], k);
    s.layer = key.layer.layer;
    // A look at the cache (scan: false) leaves no empty state behind to be mistaken for a cached one.
    if (!fresh || r.scan !== false) r.memory?.set(mk, s);
    states.push(s);
  }
  if (r.scan === false && !anyCached) return null;

  let scanned = 0;
  if (r.remote && r.scan !== false) {
    scanned = await scanRemotely(r, r.remote, states, keys, listing, modelHash);
  }
  const needed = states.filter((s) => diffListing(s, listing).todo.length > 0).map((s) => s.tensor);
  if (!r.remote && r.scan !== false && needed.length > 0) {
    const { channels, height, width } = info.input;
    const inputSize = channels * height * width;
    // The scan runs a copy of the model with only the scanned tensors (and the `also` ones) as outputs (ModelSession.forwardAt).
    const outputs = info.outputs.map((o) => o.name);
    const forward = await r.model.forwardAt([...needed, ...(r.also ?? []).filter((t) => !outputs.includes(t))]);
    // Only the layers this scan adds to are written; the others' files are already up to date.
    const changing = states.flatMap((s, i) => (diffListing(s, listing).todo.length > 0 ? [i] : []));
    const save = saver(r, changing.map((i) => keys[i]), changing.map((i) => states[i]));
    const checkpoints = new Checkpoints(save, r.checkpointMs ?? checkpointIntervalMs());
    try {
      const out = await scanTopk(states, listing, (img) => r.load(img.path), forward, {
        inputSize,
        batchSize: r.batchSize ?? defaultBatchSize(inputSize, listing.length),
        signal: r.signal,
        onProgress: r.onProgress,
        also: r.also,
        means: r.means,
        onAlso: r.onAlso,
        afterBatch: () => checkpoints.maybe(),
      });
      scanned = out.scanned;
    } finally {
      await save();
    }
  }

  const index = new Map(r.folder.paths.map((p, i) => [p, i]));
  const layers: TopkLayerResult[] = states.map((s) => ({
    layer: s.layer,
    tensor: s.tensor,
    k: s.k,
    dims: s.dims,
    images: s.count,
    failed: s.failed.size,
    maps: summarise(s).map((m) => ({ ...m, entries: m.entries.map((e) => ({ ...e, index: index.get(e.image) ?? -1 })) })),
    neverFires: neverFires(s),
  }));
  const complete = states.every((s) => diffListing(s, listing).todo.length === 0 && diffListing(s, listing).stale === 0);
  const failures = new Map<string, string>();
  for (const s of states) for (const [p, reason] of s.failed) if (index.has(p) && !failures.has(p)) failures.set(p, reason);
  return {
    folder: r.folder.root, layers, total: listing.length, scanned, complete, rescanned, ms: performance.now() - t0,
    cacheRejected, failures: [...failures].map(([p, reason]) => ({ path: p, reason })).sort((a, b) => index.get(a.path)! - index.get(b.path)!),
  };
}

/**
 * One scan of the images any layer still needs, every layer at once, on the queue. Layers that are
 * at different points (one cached, one new) start over together: a shard scans all its layers.
 * What finished is merged in and saved also when the scan is cancelled, so a rerun resumes.
 */
async function scanRemotely(r: TopkRun, remote: RemoteTopk, states: LayerTopkState[], keys: CacheKey[], listing: readonly ListedImage[], modelHash: string): Promise<number> {
  const todos = states.map((s) => diffListing(s, listing).todo.map((i) => i.path).join('\0'));
  if (todos.some((t) => t !== todos[0])) {
    states.forEach((s, i) => {
      const fresh = emptyState(keys[i].layer, s.k);
      fresh.layer = s.layer;
      states[i] = fresh;
      r.memory?.set(memoryKey(keys[i]), fresh);
    });
  }
  const todo = diffListing(states[0], listing).todo;
  if (todo.length === 0) return 0;
  const { info } = r.model;
  const out = await remote({
    layers: keys.map((k) => k.layer), k: states[0].k, modelFile: info.path, modelHash, preprocessing: info.preprocessing,
    batchSize: r.batchSize ?? defaultBatchSize(info.input.channels * info.input.height * info.input.width, listing.length),
    root: r.folder.root, todo, signal: r.signal, onProgress: r.onProgress,
  });
  states.forEach((s, i) => out.covered.length > 0 && addPart(s, out.parts[i], out.covered));
  await saver(r, keys, states)();
  if (out.cancelled) throw new AppError('CANCELLED', 'scan cancelled');
  return out.covered.length;
}

/** Saves every state to the cache (none without a cache folder); a failure is reported once and does not stop the scan. */
function saver(r: TopkRun, keys: CacheKey[], states: LayerTopkState[]): () => Promise<void> {
  let warned = false;
  return async () => {
    if (!r.cacheDir) return;
    const dir = r.cacheDir;
    const errors = (await Promise.allSettled(states.map((s, i) => saveState(dir, keys[i], s)))).flatMap((o) => (o.status === 'rejected' ? [o.reason as Error] : []));
    if (errors.length && !warned) {
      warned = true;
      r.onCacheWarning?.(`could not write the scan cache: ${errors[0].message}`);
    }
  };
}
