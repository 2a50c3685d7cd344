// The invariance view's calls: the sweeps of every chosen transform over every chosen image as one
// job the server keeps (charts fill in from its parts as images are done; cancel by its job id; a
// reloaded page re-attaches to it), the hovered point's transformed input (latest only), shift
// consistency as a cancellable job, and exports.
import type { InvariancePart, InvarianceSweepsArg, InvarianceSweepsResult, TransformKind } from '../../src-main/common/api-invariance.ts';
import type { JobInfo } from '../../src-main/common/api-jobs.ts';
import {
  DEFAULT_PAIRS_PER_IMAGE, TRANSFORM_KINDS, defaultInvarianceLayers, defaultInvarianceRange, thetaRange,
} from '../../src-main/common/api-invariance.ts';
import type { ImageEntry } from '../../src-main/common/types.ts';
import { getApi } from '../lib/api-client.ts';
import { pngUrl } from '../lib/blob-url.ts';
import { PALETTE } from '../lib/charts.ts';
import { downloadBytes } from '../lib/download.ts';
import { imagePanel, type FigurePanel } from '../lib/figure-canvas.ts';
import { saveFigure, type FigureFormat } from '../lib/figure-export.ts';
import { captionLine } from '../lib/figure-text.ts';
import { curveLegend, imageName, perClass, pTrueUnavailable, rangeProblem, seriesFor, sweepCsv, TRANSFORM_LABELS } from '../lib/invariance-series.ts';
import { applyParts, endRuns, runsFor, runsFromResult } from '../lib/invariance-runs.ts';
import { PartsFollower } from '../lib/job-parts.ts';
import { LatestOnly } from '../lib/latest-only.ts';
import { rememberStartedJob } from '../lib/started-jobs.ts';
import { isCancelled, toUserError } from '../lib/messages.ts';
import { InvarianceState, type HoverPoint } from '../state/invariance.svelte.ts';
import { notices } from '../state/notices.svelte.ts';
import { session } from '../state/session.svelte.ts';
import { selected } from './images-service.ts';
import { modelKey } from './session-service.ts';

export const inv = new InvarianceState();

let currentModel: string | null = null;
let generation = 0;
/** The sweep job this page follows, and whether Cancel was asked for. */
let active: { jobId: string; cancelled: boolean } | null = null;
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
  inv.step = null;
  if (a) void getApi().call('cancel', { jobId: a.jobId }).catch(() => {});
}

/** Runs the sweeps of the given transforms (one column each) over the chosen images, as one job. */
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
  const arg: InvarianceSweepsArg = {
    paths: images.map((e) => e.path),
    sweeps: transforms.map((t) => ({ transform: t, thetas: thetaRange(inv.ranges![t].from, inv.ranges![t].to, inv.ranges![t].steps) })),
    layers: [...inv.layers],
    // Unique across reloads: a reloaded page must not reuse the id of the job it re-attaches to.
    jobId: `invariance-${Date.now()}-${++jobSeq}`,
  };
  rememberStartedJob(arg.jobId!);
  inv.runs = runsFor(arg, arg.layers!);
  await follow(arg.jobId!, gen, () => getApi().call('invarianceSweeps', arg));
}

/**
 * Takes up a sweep job another page started (this page before a reload): its runs, their images so
 * far, its progress from here on, and its result as if this page had asked for it. The transform,
 * ranges and layers come back from the address bar; the job's own are set too, so they match.
 */
export async function reattachSweeps(job: JobInfo & { kind: 'invariance' }): Promise<void> {
  syncModel();
  if (inv.running || !inv.ranges) return;
  stopSweeps();
  const gen = generation;
  const a = job.args;
  if (a.layers) inv.layers = [...a.layers];
  if (a.sweeps.length === 1) inv.transform = a.sweeps[0].transform;
  for (const s of a.sweeps) {
    const [from, to, steps] = [s.thetas[0], s.thetas[s.thetas.length - 1], s.thetas.length];
    if (thetaRange(from, to, steps).every((t, i) => t === s.thetas[i])) inv.setRange(s.transform, { from, to, steps });
  }
  inv.runs = runsFor(a, inv.layers);
  inv.step = { done: job.done, total: job.total };
  await follow(job.jobId, gen, async () => {
    const r = await getApi().call('jobResult', { jobId: job.jobId });
    if (r.kind !== 'invariance') throw new Error(`job ${job.jobId} is not an invariance sweep`);
    return r.value;
  });
}

/** Shows the progress of sweep job `jobId`, its images as they are done, and then its result (or its error). */
async function follow(jobId: string, gen: number, result: () => Promise<InvarianceSweepsResult>): Promise<void> {
  const total = inv.runs[0]?.total ?? 0;
  const me = { jobId, cancelled: false };
  active = me;
  const parts = new PartsFollower<InvariancePart>(
    async (from) => {
      const r = await getApi().call('jobParts', { jobId, from });
      return r.kind === 'invariance' ? r.parts : [];
    },
    (got) => {
      if (gen === generation) inv.runs = applyParts(inv.runs, got);
    },
  );
  const off = getApi().on('progress', (e) => {
    if (e.jobId !== jobId || gen !== generation) return;
    if (!e.finished) inv.step = { done: e.done, total: e.total };
    void parts.pull();
  });
  void parts.pull();
  try {
    const r = await result();
    parts.stop();
    if (gen !== generation) return;
    inv.runs = runsFromResult(r, total);
    for (const run of r.runs) if (run.error) notices.add('error', `${TRANSFORM_LABELS[run.transform]} sweep: ${run.error.message}`, run.error.code);
  } catch (e) {
    if (gen !== generation) return;
    // The images done before the job ended stay on the charts.
    await parts.pull();
    parts.stop();
    if (gen !== generation) return;
    if (isCancelled(e) || me.cancelled) inv.runs = endRuns(inv.runs, 'cancelled');
    else {
      inv.runs = endRuns(inv.runs, 'failed', toUserError(e).message);
      notices.error(e, 'Invariance sweep');
    }
  } finally {
    off();
    if (gen === generation) {
      inv.step = null;
      active = null;
    }
  }
}

export function cancelSweeps(): void {
  const a = active;
  if (!a || a.cancelled) return;
  a.cancelled = true;
  void getApi().call('cancel', { jobId: a.jobId }).catch(() => {});
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
    const legend = curveLegend(seriesFor(first, 'pTrue'), PALETTE).map((e) => ({ colour: e.colour, dash: e.dash, label: e.label }));
    rows.push([{ title: 'Curves', width: Math.max(240, ...rows[0].map((p) => p.width)), height: 0, draw: () => {}, legend }]);
  }
  const images = first ? first.images.map((i) => imageName(i.path)).join(', ') : '';
  await saveFigure({
    title: `Invariance (Fig. 5): ${inv.runs.map((r) => TRANSFORM_LABELS[r.transform]).join(', ')}`,
    rows,
    caption: [
      'd(θ) = ‖φ_L(T_θ x) − φ_L(x)‖₂ between the layer activations of the transformed and the original image (normalised: divided by ‖φ_L(x)‖₂); ' +
        (first && pTrueUnavailable(first.images) ? `P(true class) ${pTrueUnavailable(first.images)}.` : 'P(true class | T_θ x) from the softmax.'),
      captionLine({ model: session.model?.name, layer: inv.layers.join(', '), image: images || null, date: new Date() }),
    ],
  }, ['invariance', ...inv.runs.map((r) => r.transform)], format);
}
