// The layer browser's calls: a layer's maps for the current image, the model-input image, one
// projection at a time (latest only), "project all maps" as one job the server keeps (thumbnails
// arrive batch by batch; a reloaded page re-attaches to it), and exports. Every response is
// checked against the request that is current when it lands, so a newer image, model or layer wins.
import type { ProjectAllResult, ProjectedMap } from '../../src-main/common/api.ts';
import type { JobInfo } from '../../src-main/common/api-jobs.ts';
import { writeNpy } from '../../src-main/common/npy.ts';
import { getApi } from '../lib/api-client.ts';
import { pngUrl } from '../lib/blob-url.ts';
import { downloadBytes, projectionFileBase } from '../lib/download.ts';
import { imagePanel, loadImage } from '../lib/figure-canvas.ts';
import { saveFigure } from '../lib/figure-export.ts';
import { captionLine } from '../lib/figure-text.ts';
import { formatActivation } from '../lib/format.ts';
import { PartsFollower } from '../lib/job-parts.ts';
import { LatestOnly } from '../lib/latest-only.ts';
import { defaultLayer, mapDims } from '../lib/layer-pick.ts';
import { moveInGrid, type GridMove } from '../lib/map-grid.ts';
import { isCancelled, toUserError } from '../lib/messages.ts';
import { rememberStartedJob } from '../lib/started-jobs.ts';
import { LayerBrowser, type ProjectionMode } from '../state/layer-browser.svelte.ts';
import { notices } from '../state/notices.svelte.ts';
import { session } from '../state/session.svelte.ts';
import { view } from '../state/view.svelte.ts';
import { selectImage, selected } from './images-service.ts';
import { modelKey } from './session-service.ts';

export const layerView = new LayerBrowser();

/** What the browser shows: an image of the open folder, through a model (key incl. preprocessing), at a layer. */
interface Context {
  path: string;
  model: string;
  layer: string;
}

interface ProjectionRequest {
  ctx: Context;
  channel: number;
  mode: ProjectionMode;
  position: [number, number] | null;
}

let ctx: Context | null = null;
let inputKey: string | null = null;

const activations = new LatestOnly<Context>(async (c) => {
  layerView.loadingActs = true;
  try {
    const acts = await getApi().call('layerActivations', { path: c.path, layer: c.layer });
    if (activations.latest !== c) return;
    layerView.acts = acts;
    layerView.actsPath = c.path;
    layerView.actsError = null;
  } catch (e) {
    if (activations.latest !== c) return;
    layerView.acts = null;
    layerView.actsPath = null;
    layerView.actsError = toUserError(e).message;
  } finally {
    if (activations.latest === c) layerView.loadingActs = false;
  }
});

const modelInput = new LatestOnly<{ path: string; key: string }>(async (r) => {
  try {
    const img = await getApi().call('modelInput', { path: r.path });
    if (modelInput.latest !== r) return;
    layerView.setInput({ url: pngUrl(img.png), width: img.width, height: img.height });
    layerView.inputError = null;
  } catch (e) {
    if (modelInput.latest !== r) return;
    layerView.setInput(null);
    layerView.inputError = toUserError(e).message;
  }
});

const projector = new LatestOnly<ProjectionRequest>(async (r) => {
  layerView.loadingProjection = true;
  try {
    const target = r.position ? { channel: r.channel, position: r.position } : { channel: r.channel };
    const [result] = await getApi().call('project', { path: r.ctx.path, layer: r.ctx.layer, mode: r.mode, targets: [target] });
    if (projector.latest !== r) return;
    layerView.setProjection({ path: r.ctx.path, result, url: pngUrl(result.png) });
    layerView.projectionError = null;
  } catch (e) {
    if (projector.latest !== r) return;
    layerView.setProjection(null);
    layerView.projectionError = toUserError(e).message;
  } finally {
    if (projector.latest === r) layerView.loadingProjection = false;
  }
});

function sameContext(a: Context | null, b: Context | null): boolean {
  return a === b || (a !== null && b !== null && a.path === b.path && a.model === b.model && a.layer === b.layer);
}

function currentLayerInfo() {
  return session.model?.layers.find((l) => l.id === layerView.layerId) ?? null;
}

/** Brings the browser in line with the selected image, the open model and the chosen layer. */
export function refreshLayerView(): void {
  const model = session.model;
  if (model && !model.layers.some((l) => l.id === layerView.layerId)) layerView.layerId = defaultLayer(model.layers);
  if (!model) layerView.layerId = null;
  const path = selected.entry?.path ?? null;
  const mk = modelKey(model);
  const next: Context | null = path && mk && layerView.layerId ? { path, model: mk, layer: layerView.layerId } : null;
  if (sameContext(ctx, next)) return;
  const prev = ctx;
  ctx = next;
  dropBatch();
  if (!next) {
    activations.latest = undefined;
    projector.latest = undefined;
    modelInput.latest = undefined;
    inputKey = null;
    layerView.acts = null;
    layerView.actsPath = null;
    layerView.actsError = null;
    layerView.loadingActs = false;
    layerView.setProjection(null);
    layerView.projectionError = null;
    layerView.loadingProjection = false;
    layerView.setInput(null);
    return;
  }
  if (prev?.layer !== next.layer) {
    layerView.channel = null;
    layerView.setProjection(null);
    layerView.projectionError = null;
  } else {
    // Another image (or preprocessing): the chosen map stays, projected at its new argmax.
    const dims = mapDims(currentLayerInfo()?.shape ?? []);
    if (layerView.channel !== null && dims && layerView.channel >= dims[0]) layerView.channel = null;
  }
  layerView.position = null;
  const ik = `${next.path}|${next.model}`;
  if (ik !== inputKey) {
    inputKey = ik;
    modelInput.request({ path: next.path, key: ik });
  }
  activations.request(next);
  requestProjection();
}

function requestProjection(): void {
  const c = ctx;
  const channel = layerView.channel;
  if (!c || channel === null) {
    projector.latest = undefined;
    layerView.setProjection(null);
    layerView.projectionError = null;
    layerView.loadingProjection = false;
    return;
  }
  const mode = layerView.mode;
  projector.request({ ctx: c, channel, mode, position: mode === 'single' ? layerView.position : null });
}

export function selectLayer(id: string): void {
  if (id === layerView.layerId) return;
  layerView.layerId = id;
  refreshLayerView();
}

/** Opens the layer browser on a layer (from the model panel's layer table). */
export function openLayer(id: string): void {
  view.current = 'layers';
  selectLayer(id);
}

/** Chooses a map; with a position, projects that activation (switching to single mode). */
export function selectMap(channel: number, position: [number, number] | null = null): void {
  if (channel === layerView.channel && position === null && layerView.position === null && layerView.projection) return;
  layerView.channel = channel;
  layerView.position = position;
  if (position && layerView.mode === 'map') layerView.mode = 'single';
  requestProjection();
}

export function setMode(mode: ProjectionMode): void {
  if (mode === layerView.mode) return;
  layerView.mode = mode;
  requestProjection();
}

/** Arrow keys: move the chosen map through the grid's display order. */
export function moveMap(move: GridMove): boolean {
  if (!layerView.maps) return false;
  const next = moveInGrid(layerView.order, layerView.channel, move, layerView.cols);
  if (next === null) return false;
  if (next !== layerView.channel) selectMap(next);
  return true;
}

/** The "project all maps" job this page follows, and whether Cancel was asked for. */
let batchJob: { jobId: string; cancelled: boolean } | null = null;
let batchGen = 0;
let batchSeq = 0;

function dropBatch(): void {
  batchGen++;
  // Another image, layer or model: the job's maps are no longer the view's.
  if (batchJob) void getApi().call('cancel', { jobId: batchJob.jobId }).catch(() => {});
  batchJob = null;
  layerView.clearBatch();
}

/** Projects every map of the layer, in the grid's order, as one job; thumbnails arrive batch by batch. */
export async function projectAllMaps(): Promise<void> {
  const c = ctx;
  const maps = layerView.maps;
  if (!c || !maps) return;
  dropBatch();
  const gen = batchGen;
  const mode = layerView.mode;
  const channels = [...layerView.order];
  // Unique across reloads: a reloaded page must not reuse the id of the job it re-attaches to.
  const jobId = `project-all-${Date.now()}-${++batchSeq}`;
  rememberStartedJob(jobId);
  startBatch(c.layer, mode, channels.length, performance.now());
  await followBatch(jobId, gen, () => getApi().call('projectAll', { path: c.path, layer: c.layer, mode, channels, jobId }));
}

/**
 * Takes up a "project all maps" job another page started (this page before a reload), when the
 * browser shows its image and layer again: the thumbnails so far, its progress, then the rest.
 */
export async function reattachProjectAll(job: JobInfo & { kind: 'projectAll' }): Promise<void> {
  const c = ctx;
  const a = job.args;
  if (!c || c.path !== a.path || c.layer !== a.layer || batchJob) return;
  dropBatch();
  const gen = batchGen;
  if (layerView.mode !== a.mode) setMode(a.mode);
  // Its rate from when it started on the server, not from this page load.
  startBatch(a.layer, a.mode, job.total, performance.now() - Math.max(0, Date.now() - job.startedAt));
  await followBatch(job.jobId, gen, async () => {
    const r = await getApi().call('jobResult', { jobId: job.jobId });
    if (r.kind !== 'projectAll') throw new Error(`job ${job.jobId} is not "project all maps"`);
    return r.value;
  });
}

function startBatch(layer: string, mode: ProjectionMode, total: number, startedAt: number): void {
  layerView.batch = { layer, mode, total, done: 0, status: 'running', error: null, thumbs: {}, startedAt, updatedAt: performance.now() };
  layerView.grid = 'projections';
}

/** Shows job `jobId`'s maps as its batches are done, then its end: done, cancelled or failed. */
async function followBatch(jobId: string, gen: number, result: () => Promise<ProjectAllResult>): Promise<void> {
  const me = { jobId, cancelled: false };
  batchJob = me;
  let shown = 0;
  const show = (maps: ProjectedMap[]) => {
    shown += maps.length;
    layerView.addThumbs(maps.map((m) => ({ channel: m.channel, url: pngUrl(m.png), value: m.value, position: m.position })), shown);
  };
  const parts = new PartsFollower<{ maps: ProjectedMap[] }>(
    async (from) => {
      const r = await getApi().call('jobParts', { jobId, from });
      return r.kind === 'projectAll' ? r.parts : [];
    },
    (got) => {
      if (gen === batchGen) show(got.flatMap((p) => p.maps));
    },
  );
  const off = getApi().on('progress', (e) => {
    if (e.jobId === jobId && gen === batchGen) void parts.pull();
  });
  void parts.pull();
  let outcome: { status: 'done' | 'cancelled' | 'failed'; error: string | null };
  try {
    const r = await result();
    parts.stop();
    if (gen !== batchGen) return;
    // Whatever the parts had not brought yet.
    show(r.maps.slice(shown));
    outcome = { status: 'done', error: null };
  } catch (e) {
    if (gen !== batchGen) return;
    // The maps done before it ended stay.
    await parts.pull();
    parts.stop();
    if (gen !== batchGen) return;
    outcome = isCancelled(e) || me.cancelled ? { status: 'cancelled', error: null } : { status: 'failed', error: toUserError(e).message };
  } finally {
    off();
  }
  batchJob = null;
  layerView.updateBatch({ ...outcome, done: shown });
}

export function cancelProjectAll(): void {
  const j = batchJob;
  if (!j || j.cancelled) return;
  j.cancelled = true;
  void getApi().call('cancel', { jobId: j.jobId }).catch(() => {});
  layerView.updateBatch({ status: 'cancelling' });
}

export function showGrid(grid: 'maps' | 'projections'): void {
  layerView.grid = grid;
}

/** Saves the shown projection: its display image as a titled, captioned figure (PNG or SVG), or the raw float32 C×H×W as .npy. */
export async function exportProjection(kind: 'png' | 'svg' | 'npy'): Promise<void> {
  const p = layerView.projection?.result;
  if (!p) return;
  const base = projectionFileBase(p.layer, p.channel, p.mode, p.position);
  try {
    if (kind === 'npy') return downloadBytes(writeNpy([...p.dims], p.data), `${base}.npy`, 'application/octet-stream');
    const url = URL.createObjectURL(new Blob([p.png as Uint8Array<ArrayBuffer>], { type: 'image/png' }));
    try {
      const img = await loadImage(url);
      const k = Math.max(1, Math.floor(256 / Math.max(img.naturalWidth, img.naturalHeight)));
      const where = p.mode === 'single' && p.position ? ` at (${p.position.join(', ')}), a[c,p] = ${formatActivation(p.value)}` : ' (the whole map)';
      await saveFigure({
        title: `Deconvnet projection (${p.mode}) of layer ${p.layer}, map ${p.channel}${where}`,
        rows: [[imagePanel(`${p.dims[1]}×${p.dims[2]} input pixels`, img, img.naturalWidth * k, img.naturalHeight * k, { note: 'Display: v / max|v| mapped to 0..255 around grey (128); grey = no contribution.' })]],
        caption: [captionLine({ model: session.model?.name, layer: p.layer, image: selected.entry?.path ?? null, date: new Date() })],
      }, [base], kind);
    } finally {
      URL.revokeObjectURL(url);
    }
  } catch (e) {
    notices.error(e, `Exporting ${base}.${kind}`);
  }
}

/**
 * Opens image `index` of the folder in the layer browser on `layer`, map `channel`, projected at
 * `position` (the Top-9 view's "open this entry"). Added for issue 7.
 */
export async function openInLayerBrowser(index: number, layer: string, channel: number, position: [number, number]): Promise<void> {
  view.current = 'layers';
  await selectImage(index);
  layerView.layerId = layer;
  refreshLayerView();
  selectMap(channel, position);
}
