// The Top-9 view's calls: the cached result of the chosen layers, the scan (progress with images/s
// and time left from the core's events, cancel by jobId, resume by scanning again), the chosen map's
// Fig. 2 tiles (latest only), the wall of a layer's maps in small calls, exports and "open entry".
import type { JobInfo } from '../../src-main/common/api-jobs.ts';
import type { TopkScanResult, TopkTile } from '../../src-main/common/api-topk.ts';
import { getApi } from '../lib/api-client.ts';
import { pngUrl } from '../lib/blob-url.ts';
import { rememberStartedJob } from '../lib/started-jobs.ts';
import { ChunkedRun } from '../lib/chunked-run.ts';
import { downloadBytes } from '../lib/download.ts';
import { LatestOnly } from '../lib/latest-only.ts';
import { isCancelled, toUserError } from '../lib/messages.ts';
import { topkCsv, topkJson, wallOrder } from '../lib/topk-export.ts';
import { RateMeter } from '../lib/topk-rate.ts';
import { notices } from '../state/notices.svelte.ts';
import { session } from '../state/session.svelte.ts';
import { TopkState, type ShownTile } from '../state/topk.svelte.ts';
import { openInLayerBrowser } from './layers-service.ts';

export const topk = new TopkState();

const meter = new RateMeter();
let seq = 0;
let unsubscribe: (() => void) | null = null;

export function scanLayers(): string[] {
  const model = session.model;
  if (!model) return [];
  if (topk.scope === 'conv') return model.layers.filter((l) => l.kind === 'conv').map((l) => l.id);
  return topk.layerId ? [topk.layerId] : [];
}

/** The conv layer the view opens on: the last one (the paper's richest maps). */
export function ensureLayer(): void {
  const layers = session.model?.layers ?? [];
  if (topk.layerId && layers.some((l) => l.id === topk.layerId)) return;
  const convs = layers.filter((l) => l.kind === 'conv');
  topk.layerId = convs.at(-1)?.id ?? layers[0]?.id ?? null;
}

function toShown(t: TopkTile): ShownTile {
  const { patch, projection, projectionFull: _full, ...rest } = t;
  return { ...rest, patchUrl: pngUrl(patch), projectionUrl: projection ? pngUrl(projection) : null };
}

function resetShown(): void {
  tiles.latest = undefined;
  topk.channel = null;
  topk.setTiles(null, null);
  topk.tilesError = null;
  stopWall();
}

/** Whether scans go to workers through Redis and how many are connected (asked again every few seconds by the view). */
export async function loadQueue(): Promise<void> {
  try {
    topk.queue = await getApi().call('topkQueue', {});
    topk.queueError = null;
  } catch (e) {
    topk.queueError = toUserError(e).message;
  }
}

/** Shows what the cache holds for the chosen layers (no scanning); quiet when there is nothing. */
export async function loadCached(): Promise<void> {
  const layers = scanLayers();
  if (!layers.length || !session.folder) {
    topk.result = null;
    return;
  }
  try {
    const r = await getApi().call('topkCached', { layers, k: topk.k });
    if (scanLayers().join('\n') !== layers.join('\n')) return;
    topk.result = r;
    topk.error = null;
    if (!r?.layers.some((l) => l.layer === topk.shownLayer)) {
      topk.shownLayer = r?.layers[0]?.layer ?? null;
      resetShown();
    }
  } catch (e) {
    topk.result = null;
    topk.error = toUserError(e).message;
  }
}

export async function startScan(): Promise<void> {
  const layers = scanLayers();
  if (!layers.length || topk.progress) return;
  const jobId = `topk-${Date.now()}-${++seq}`;
  rememberStartedJob(jobId);
  await followScan(jobId, 0, 0, () => getApi().call('topkScan', { layers, k: topk.k, jobId }));
}

/**
 * Takes up a scan another page started (this page before a reload): its layers and k, its progress
 * from here on, and its result as if this page had asked for it.
 */
export async function reattachScan(job: JobInfo & { kind: 'topk' }): Promise<void> {
  if (topk.progress) return;
  const { layers, k } = job.args;
  const convs = session.model?.layers.filter((l) => l.kind === 'conv').map((l) => l.id) ?? [];
  if (layers.length === 1) {
    topk.scope = 'layer';
    topk.layerId = layers[0];
  } else if (layers.join('\n') === convs.join('\n')) {
    topk.scope = 'conv';
  } else {
    return;
  }
  if (k !== undefined) topk.k = k;
  await followScan(job.jobId, job.done, job.total, async () => {
    const r = await getApi().call('jobResult', { jobId: job.jobId });
    if (r.kind !== 'topk') throw new Error(`job ${job.jobId} is not a scan`);
    return r.value;
  });
}

/** Shows the progress of scan `jobId` and then its result (or its error). */
async function followScan(jobId: string, done: number, total: number, result: () => Promise<TopkScanResult>): Promise<void> {
  meter.reset();
  topk.progress = { jobId, done, total, rate: null, eta: null, cancelling: false };
  topk.error = null;
  unsubscribe?.();
  unsubscribe = getApi().on('progress', (e) => {
    const p = topk.progress;
    if (!p || e.jobId !== jobId || e.finished) return;
    meter.add(e.done, performance.now());
    topk.progress = { ...p, done: e.done, total: e.total, rate: meter.rate(), eta: meter.eta(e.total) };
  });
  try {
    const r = await result();
    topk.result = r;
    if (!r.layers.some((l) => l.layer === topk.shownLayer)) {
      topk.shownLayer = r.layers[0]?.layer ?? null;
      resetShown();
    }
    if (r.rescanned.length) notices.info(`Images were removed or changed since the last scan: ${r.rescanned.length} layer(s) scanned again`);
  } catch (e) {
    if (isCancelled(e)) {
      notices.info('Scan cancelled; scanning again resumes where it stopped');
      await loadCached();
    } else {
      topk.error = toUserError(e).message;
    }
  } finally {
    unsubscribe?.();
    unsubscribe = null;
    topk.progress = null;
  }
  if (topk.channel !== null) showMap(topk.channel);
  else if (topk.wall) void loadWall();
}

export async function cancelScan(): Promise<void> {
  const p = topk.progress;
  if (!p || p.cancelling) return;
  topk.progress = { ...p, cancelling: true };
  try {
    await getApi().call('cancel', { jobId: p.jobId });
  } catch (e) {
    notices.error(e, 'Cancelling the scan');
  }
}

export function showLayer(layer: string): void {
  if (layer === topk.shownLayer) return;
  topk.shownLayer = layer;
  resetShown();
  if (topk.wall) void loadWall();
}

const tiles = new LatestOnly<{ layer: string; channel: number; k: number; key: string }>(async (r) => {
  topk.loadingTiles = true;
  try {
    const res = await getApi().call('topkTiles', { layer: r.layer, channel: r.channel, k: r.k, projections: true });
    if (tiles.latest !== r) return;
    topk.setTiles(res.tiles.map(toShown), r.key);
    topk.tilesError = null;
  } catch (e) {
    if (tiles.latest !== r) return;
    topk.setTiles(null, null);
    topk.tilesError = toUserError(e).message;
  } finally {
    if (tiles.latest === r) topk.loadingTiles = false;
  }
});

/** Fig. 2 for one map: its top-k projections beside their image patches. */
export function showMap(channel: number): void {
  const layer = topk.layer;
  if (!layer) return;
  topk.channel = channel;
  tiles.request({ layer: layer.layer, channel, k: topk.k, key: `${layer.layer}|${channel}` });
}

export function closeMap(): void {
  tiles.latest = undefined;
  topk.channel = null;
  topk.setTiles(null, null);
}

let wallRun: ChunkedRun<number, { channel: number; tiles: ShownTile[] }> | null = null;

function stopWall(): void {
  wallRun?.cancel();
  wallRun = null;
  topk.clearWall();
}

/** The wall: every map of the shown layer as a 3×3 of its top image patches, a map per call. */
export async function loadWall(): Promise<void> {
  const layer = topk.layer;
  stopWall();
  if (!layer || layer.images === 0) return;
  const order = wallOrder(layer, topk.wallSort).filter((c) => layer.maps[c].entries.length > 0);
  const run = new ChunkedRun<number, { channel: number; tiles: ShownTile[] }>(
    order,
    1,
    async ([channel]) => {
      const r = await getApi().call('topkTiles', { layer: layer.layer, channel, k: topk.k, projections: false });
      return [{ channel, tiles: r.tiles.map(toShown) }];
    },
    (results) => {
      if (wallRun !== run) {
        for (const r of results) for (const t of r.tiles) URL.revokeObjectURL(t.patchUrl);
        return;
      }
      for (const r of results) topk.addWall(r.channel, r.tiles);
    },
  );
  wallRun = run;
  const out = await run.start();
  if (out.status === 'failed' && wallRun === run) topk.error = toUserError(out.error).message;
}

export function setWallSort(by: 'channel' | 'mean' | 'firing'): void {
  topk.wallSort = by;
  if (topk.wall) void loadWall();
}

/** Opens an entry's image in the layer browser at its position, on the tensor the scan read. */
export function openEntry(t: ShownTile): void {
  const layer = topk.layer;
  if (!layer || topk.channel === null) return;
  if (t.index < 0) {
    notices.warning(`${t.image} is no longer in the open folder`);
    return;
  }
  void openInLayerBrowser(t.index, layer.tensor, topk.channel, t.position);
}

export function exportResult(kind: 'json' | 'csv'): void {
  const r = topk.result;
  if (!r) return;
  const text = kind === 'json' ? topkJson(r) : topkCsv(r);
  downloadBytes(new TextEncoder().encode(text), `topk.${kind}`, kind === 'json' ? 'application/json' : 'text/csv');
}
