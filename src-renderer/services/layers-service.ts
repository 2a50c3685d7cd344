// The layer browser's calls: a layer's maps for the current image, the model-input image, one
// projection at a time (latest only), "project all maps" in chunks, and exports. Every response is
// checked against the request that is current when it lands, so a newer image, model or layer wins.
import type { ProjectionResult } from '../../src-main/common/api.ts';
import { writeNpy } from '../../src-main/common/npy.ts';
import { getApi } from '../lib/api-client.ts';
import { pngUrl } from '../lib/blob-url.ts';
import { ChunkedRun } from '../lib/chunked-run.ts';
import { downloadBytes, projectionFileBase } from '../lib/download.ts';
import { imagePanel, loadImage } from '../lib/figure-canvas.ts';
import { saveFigure } from '../lib/figure-export.ts';
import { captionLine } from '../lib/figure-text.ts';
import { formatActivation } from '../lib/format.ts';
import { LatestOnly } from '../lib/latest-only.ts';
import { defaultLayer, mapDims } from '../lib/layer-pick.ts';
import { moveInGrid, type GridMove } from '../lib/map-grid.ts';
import { toUserError } from '../lib/messages.ts';
import { LayerBrowser, type ProjectionMode } from '../state/layer-browser.svelte.ts';
import { notices } from '../state/notices.svelte.ts';
import { session } from '../state/session.svelte.ts';
import { view } from '../state/view.svelte.ts';
import { selectImage, selected } from './images-service.ts';
import { modelKey } from './session-service.ts';

export const layerView = new LayerBrowser();

/** Projections per `project` call in "project all maps": small enough to stream, big enough to batch. */
export const BATCH_CHUNK = 8;

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

let batchRun: ChunkedRun<number, ProjectionResult> | null = null;
let batchGen = 0;

function dropBatch(): void {
  batchGen++;
  batchRun?.cancel();
  batchRun = null;
  layerView.clearBatch();
}

/** Projects every map of the layer in chunks, in the grid's order; thumbnails arrive as chunks finish. */
export async function projectAllMaps(): Promise<void> {
  const c = ctx;
  const maps = layerView.maps;
  if (!c || !maps) return;
  dropBatch();
  const gen = batchGen;
  const mode = layerView.mode;
  const order = [...layerView.order];
  const startedAt = performance.now();
  layerView.batch = { layer: c.layer, mode, total: order.length, done: 0, status: 'running', error: null, thumbs: {}, startedAt, updatedAt: startedAt };
  layerView.grid = 'projections';
  const run = new ChunkedRun<number, ProjectionResult>(
    order,
    BATCH_CHUNK,
    (channels) => getApi().call('project', { path: c.path, layer: c.layer, mode, targets: channels.map((channel) => ({ channel })) }),
    (results, done) => {
      if (gen !== batchGen) return;
      layerView.addThumbs(
        results.map((r) => ({ channel: r.channel, url: pngUrl(r.png), value: r.value, position: r.position })),
        done,
      );
    },
  );
  batchRun = run;
  const out = await run.start();
  if (gen !== batchGen) return;
  batchRun = null;
  layerView.updateBatch({ status: out.status, done: out.done, error: out.error === undefined ? null : toUserError(out.error).message });
}

export function cancelProjectAll(): void {
  if (!batchRun || batchRun.cancelled) return;
  batchRun.cancel();
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
