// The invariance view's calls: sweeps streamed in chunks of a few images (charts fill in as chunks
// land; cancel stops further chunks and cancels the one in flight by its job id), the hovered
// point's transformed input (latest only), shift consistency as a cancellable job, and exports.
import type { InvarianceImageResult, TransformKind } from '../../src-main/common/api-invariance.ts';
import {
  DEFAULT_PAIRS_PER_IMAGE, TRANSFORM_KINDS, defaultInvarianceLayers, defaultInvarianceRange, thetaRange,
} from '../../src-main/common/api-invariance.ts';
import type { ImageEntry } from '../../src-main/common/types.ts';
import { getApi } from '../lib/api-client.ts';
import { pngUrl } from '../lib/blob-url.ts';
import { ChunkedRun } from '../lib/chunked-run.ts';
import { PALETTE } from '../lib/charts.ts';
import { downloadBytes } from '../lib/download.ts';
import { imagePanel, type FigurePanel } from '../lib/figure-canvas.ts';
import { saveFigure, type FigureFormat } from '../lib/figure-export.ts';
import { captionLine } from '../lib/figure-text.ts';
import { curveLegend, imageName, perClass, rangeProblem, seriesFor, sweepCsv, TRANSFORM_LABELS } from '../lib/invariance-series.ts';
import { LatestOnly } from '../lib/latest-only.ts';
import { isCancelled, toUserError } from '../lib/messages.ts';
import { InvarianceState, type HoverPoint, type RunState } from '../state/invariance.svelte.ts';
import { notices } from '../state/notices.svelte.ts';
import { session } from '../state/session.svelte.ts';
import { selected } from './images-service.ts';
import { modelKey } from './session-service.ts';

export const inv = new InvarianceState();

/** Images per sweep call: small, so curves appear while the rest runs. */
export const SWEEP_CHUNK = 2;

let currentModel: string | null = null;
let generation = 0;
let active: { run: ChunkedRun<ImageEntry, InvarianceImageResult>; jobId: string | null } | null = null;
let jobSeq = 0;

/** Whether the ranges and layers are the open model's (syncModel has run since it opened). */
export function settingsFitModel(): boolean {
  return currentModel !== null && currentModel === modelKey(session.model);
}

/** Resets ranges and layers to the model's defaults when another model (or preprocessing) is open. */
export function syncModel(): void {
  const model = session.model;
  const key = modelKey(model);
  if (key === currentModel) return;
  currentModel = key;
  stopSweeps();
  inv.runs = [];
  inv.hover = null;
  inv.setHoverImage(null);
  inv.consistency = null;
  if (!model) {
    inv.ranges = null;
    inv.layers = [];
    return;
  }
  const size: [number, number] = [model.input.height, model.input.width];
  inv.ranges = Object.fromEntries(TRANSFORM_KINDS.map((k) => [k, defaultInvarianceRange(k, size)])) as InvarianceState['ranges'];
  inv.layers = defaultInvarianceLayers(model.layers);
  inv.consistencyShift = null;
  inv.consistencyPairs = DEFAULT_PAIRS_PER_IMAGE;
}

async function allEntries(): Promise<ImageEntry[]> {
  const out: ImageEntry[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await getApi().call('listImages', { offset, limit: 1000 });
    out.push(...page.entries);
    if (out.length >= page.total || page.entries.length === 0) return out;
  }
}

async function chooseImages(): Promise<ImageEntry[]> {
  if (inv.source === 'current') return selected.entry ? [selected.entry] : [];
  if (inv.source === 'selection') return [...inv.selection];
  return perClass(await allEntries(), Math.max(1, Math.floor(inv.perClassN)));
}

export function addCurrentToSelection(): void {
  const e = selected.entry;
  if (!e || inv.selection.some((s) => s.path === e.path)) return;
  inv.selection = [...inv.selection, e];
}

export function removeFromSelection(path: string): void {
  inv.selection = inv.selection.filter((s) => s.path !== path);
}

function stopSweeps(): void {
  generation++;
  const a = active;
  active = null;
  if (!a) return;
  a.run.cancel();
  if (a.jobId) void getApi().call('cancel', { jobId: a.jobId }).catch(() => {});
}

/** Runs the sweeps of the given transforms (one column each), one after another, streaming images. */
export async function runSweeps(transforms: TransformKind[]): Promise<void> {
  const model = session.model;
  if (!model || !inv.ranges) return;
  for (const t of transforms) {
    const r = inv.ranges[t];
    const problem = rangeProblem(t, r.from, r.to, r.steps, [model.input.height, model.input.width]);
    if (problem) {
      notices.add('error', `${TRANSFORM_LABELS[t]}: ${problem}`);
      return;
    }
  }
  if (inv.layers.length === 0) {
    notices.add('error', 'Choose at least one layer.');
    return;
  }
  stopSweeps();
  const gen = generation;
  inv.hover = null;
  inv.setHoverImage(null);
  inv.chooseError = null;
  inv.choosing = true;
  let images: ImageEntry[];
  try {
    images = await chooseImages();
  } catch (e) {
    if (gen === generation) inv.chooseError = toUserError(e).message;
    return;
  } finally {
    if (gen === generation) inv.choosing = false;
  }
  if (gen !== generation) return;
  if (images.length === 0) {
    inv.chooseError = inv.source === 'selection' ? 'The selection is empty: add images with “Add current image”.' : 'Select an image in the strip below.';
    return;
  }
  const layers = [...inv.layers];
  inv.runs = transforms.map((t): RunState => {
    const r = inv.ranges![t];
    return { transform: t, thetas: thetaRange(r.from, r.to, r.steps), layers, labels: [], images: [], total: images.length, status: 'waiting', error: null };
  });
  for (let i = 0; i < transforms.length; i++) {
    if (gen !== generation) return;
    const spec = inv.runs[i];
    inv.updateRun(i, { status: 'running' });
    const slot: { run: ChunkedRun<ImageEntry, InvarianceImageResult>; jobId: string | null } = { run: null!, jobId: null };
    slot.run = new ChunkedRun<ImageEntry, InvarianceImageResult>(
      images,
      SWEEP_CHUNK,
      async (chunk) => {
        const jobId = `invariance-${++jobSeq}`;
        slot.jobId = jobId;
        const off = getApi().on('progress', (e) => {
          if (e.jobId === jobId && !e.finished && gen === generation) inv.step = { done: e.done, total: e.total, images: chunk.length };
        });
        try {
          const r = await getApi().call('invarianceSweep', { paths: chunk.map((e) => e.path), transform: spec.transform, thetas: spec.thetas, layers, jobId });
          if (gen === generation && inv.runs[i].labels.length === 0) inv.updateRun(i, { labels: r.labels });
          return r.images;
        } finally {
          off();
        }
      },
      (results) => {
        if (gen !== generation) return;
        // With the images that finished: the count of steps does not go back in between.
        inv.updateRun(i, { images: [...inv.runs[i].images, ...results] });
        inv.step = null;
      },
    );
    active = slot;
    const out = await slot.run.start();
    if (gen !== generation) return;
    inv.step = null;
    active = null;
    const cancelled = out.status === 'cancelled' || (out.status === 'failed' && isCancelled(out.error));
    if (cancelled) {
      inv.runs = inv.runs.map((r, k) => (k === i ? { ...r, status: 'cancelled' } : k > i ? { ...r, status: 'cancelled' } : r));
      return;
    }
    if (out.status === 'failed') {
      const msg = toUserError(out.error).message;
      inv.updateRun(i, { status: 'failed', error: msg });
      notices.error(out.error, `${TRANSFORM_LABELS[spec.transform]} sweep`);
      continue;
    }
    inv.updateRun(i, { status: 'done' });
  }
}

export function cancelSweeps(): void {
  const a = active;
  if (!a || a.run.cancelled) return;
  a.run.cancel();
  if (a.jobId) void getApi().call('cancel', { jobId: a.jobId }).catch(() => {});
  inv.runs = inv.runs.map((r) => (r.status === 'running' ? { ...r, status: 'cancelling' } : r.status === 'waiting' ? { ...r, status: 'cancelled' } : r));
}

const hoverLoader = new LatestOnly<{ key: string; path: string; transform: TransformKind; theta: number }>(async (req) => {
  try {
    const img = await getApi().call('invarianceInput', { path: req.path, transform: req.transform, theta: req.theta });
    if (hoverLoader.latest !== req) return;
    inv.setHoverImage({ key: req.key, url: pngUrl(img.png), error: null });
  } catch (e) {
    if (hoverLoader.latest !== req) return;
    inv.setHoverImage({ key: req.key, url: null, error: toUserError(e).message });
  }
});

/** The pointer is over a point (or left the charts); shows that transformed input. */
export function hoverPoint(p: HoverPoint | null): void {
  if (p && inv.hover && p.run === inv.hover.run && p.image === inv.hover.image && p.t === inv.hover.t) return;
  inv.hover = p;
  if (!p) return;
  const run = inv.runs[p.run];
  const img = run?.images[p.image];
  if (!run || !img) return;
  const theta = run.thetas[p.t];
  const key = `${img.path}|${run.transform}|${theta}`;
  if (inv.hoverImage?.key === key) return;
  hoverLoader.request({ key, path: img.path, transform: run.transform, theta });
}

export async function runConsistency(): Promise<void> {
  if (!session.model || !session.folder) return;
  const jobId = `consistency-${++jobSeq}`;
  consistencyJob = jobId;
  inv.consistency = { status: 'running', result: null, error: null };
  try {
    const result = await getApi().call('shiftConsistency', {
      pairsPerImage: Math.max(1, Math.min(100, Math.floor(inv.consistencyPairs))),
      ...(inv.consistencyShift !== null ? { maxShift: Math.max(0, Math.floor(inv.consistencyShift)) } : {}),
      jobId,
    });
    if (consistencyJob === jobId) inv.consistency = { status: 'done', result, error: null };
  } catch (e) {
    if (consistencyJob !== jobId) return;
    inv.consistency = isCancelled(e) ? { status: 'cancelled', result: null, error: null } : { status: 'failed', result: null, error: toUserError(e).message };
  }
}

let consistencyJob: string | null = null;

export function cancelConsistency(): void {
  if (!consistencyJob || inv.consistency?.status !== 'running') return;
  inv.consistency = { ...inv.consistency, status: 'cancelling' };
  void getApi().call('cancel', { jobId: consistencyJob }).catch(() => {});
}

export function exportCsv(): void {
  const runs = inv.runs.filter((r) => r.images.length > 0);
  if (!runs.length) return;
  downloadBytes(new TextEncoder().encode(sweepCsv(runs)), `invariance-${runs.map((r) => r.transform).join('-')}.csv`, 'text/csv');
}

export interface ChartPanel {
  title: string;
  canvas: HTMLCanvasElement;
}

/**
 * Fig. 5 as one PNG or SVG: the charts in their grid (a column per transform), each under its own wrapped
 * title, the curves' legend, and a caption line naming model, layers, images and date.
 */
export async function exportFigure(columns: ChartPanel[][], format: FigureFormat): Promise<void> {
  const cols = columns.filter((c) => c.length > 0);
  if (!cols.length) return;
  const size = (c: HTMLCanvasElement) => [c.clientWidth || c.width, c.clientHeight || c.height] as const;
  const nrows = Math.max(...cols.map((c) => c.length));
  const empty: FigurePanel = { title: '', width: 0, height: 0, draw: () => {} };
  const rows: FigurePanel[][] = Array.from({ length: nrows }, (_, r) =>
    cols.map((col) => {
      const p = col[r];
      if (!p) return empty;
      const [w, h] = size(p.canvas);
      return imagePanel(p.title, p.canvas, w, h);
    }),
  );
  const first = inv.runs.find((r) => r.images.length > 0);
  if (first) {
    const legend = curveLegend(seriesFor(first, 'pTrue'), PALETTE).map((e) => ({ colour: e.colour, label: e.dash.length ? `${e.label} (dashed)` : e.label }));
    rows.push([{ title: 'Curves', width: Math.max(240, ...rows[0].map((p) => p.width)), height: 0, draw: () => {}, legend }]);
  }
  const images = first ? first.images.map((i) => imageName(i.path)).join(', ') : '';
  await saveFigure({
    title: `Invariance (Fig. 5): ${inv.runs.map((r) => TRANSFORM_LABELS[r.transform]).join(', ')}`,
    rows,
    caption: [
      'd(θ) = ‖φ_L(T_θ x) − φ_L(x)‖₂ between the layer activations of the transformed and the original image (normalised: divided by ‖φ_L(x)‖₂); P(true class | T_θ x) from the softmax.',
      captionLine({ model: session.model?.name, layer: inv.layers.join(', '), image: images || null, date: new Date() }),
    ],
  }, ['invariance', ...inv.runs.map((r) => r.transform)], format);
}
