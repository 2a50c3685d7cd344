// The filter spectra view's calls: spectra of the open model's chosen conv layer, of a compare model,
// a firing scan of the open folder (cancellable through its job id; kept by the server, so a reloaded
// page re-attaches to it), and the exports.
import type { JobInfo } from '../../src-main/common/api-jobs.ts';
import type { FilterSpectraResult } from '../../src-main/common/api-spectra.ts';
import { getApi } from '../lib/api-client.ts';
import { downloadBytes } from '../lib/download.ts';
import type { FigureSpec } from '../lib/figure-canvas.ts';
import { saveFigure, type FigureFormat } from '../lib/figure-export.ts';
import { isCancelled, toUserError } from '../lib/messages.ts';
import { rememberStartedJob } from '../lib/started-jobs.ts';
import { spectraCsv, spectraFileBase } from '../lib/spectra-table.ts';
import { FiltersState } from '../state/filters.svelte.ts';
import { notices } from '../state/notices.svelte.ts';
import { session } from '../state/session.svelte.ts';
import { modelKey } from './session-service.ts';

export const filters = new FiltersState();

type Panel = 'a' | 'b';
/** Each panel's latest request wins: a response to an older one is dropped. */
const seq: Record<Panel, number> = { a: 0, b: 0 };
let loadedKey: string | null = null;
let jobSeq = 0;

function argsFor(panel: Panel): { model?: string; layer?: string } | null {
  if (panel === 'a') return session.model ? (filters.layer ? { layer: filters.layer } : {}) : null;
  const path = filters.comparePath.trim();
  return path ? { model: path, ...(filters.compareLayer ? { layer: filters.compareLayer } : {}) } : null;
}

/** Loads a panel's spectra; with `firing`, scans the folder too, or (`attach`) takes up that scan job's result. */
async function load(panel: Panel, firing = false, attach?: string): Promise<void> {
  const args = argsFor(panel);
  const n = ++seq[panel];
  const p = filters[panel];
  if (!args) {
    p.reset();
    return;
  }
  p.loading = true;
  // Unique across reloads: a reloaded page must not reuse the id of the job it re-attaches to.
  const jobId = attach ?? (firing ? `spectra-firing-${Date.now()}-${++jobSeq}` : null);
  if (jobId) p.scan = { jobId, cancelling: false };
  if (jobId && !attach) rememberStartedJob(jobId);
  try {
    const result: FilterSpectraResult = attach
      ? await keptResult(attach)
      : await getApi().call('filterSpectra', { ...args, ...(jobId ? { firing: true, jobId } : {}) });
    if (n !== seq[panel]) return;
    p.result = result;
    p.error = null;
    if (panel === 'a' && (filters.selected === null || filters.selected >= result.filters.length)) filters.selected = 0;
  } catch (e) {
    if (n !== seq[panel]) return;
    if (isCancelled(e) || toUserError(e).code === 'CANCELLED') {
      notices.add('info', 'Firing scan cancelled; the spectra shown are from the weights alone.');
    } else {
      p.error = toUserError(e).message;
      if (!firing) p.result = null;
    }
  } finally {
    if (n === seq[panel]) {
      p.loading = false;
      p.scan = null;
    }
  }
}

async function keptResult(jobId: string): Promise<FilterSpectraResult> {
  const r = await getApi().call('jobResult', { jobId });
  if (r.kind !== 'spectra') throw new Error(`job ${jobId} is not a firing scan`);
  return r.value;
}

const loadKey = () => `${modelKey(session.model)}|${session.folder?.root ?? ''}`;

/**
 * Takes up a firing scan another page started (this page before a reload): its panel, model and
 * layer, the weights' spectra at once, the scan's progress from here on and then its result.
 */
export async function reattachFiring(job: JobInfo & { kind: 'spectra' }): Promise<void> {
  const panel: Panel = job.args.model === undefined ? 'a' : 'b';
  if (filters[panel].scan) return;
  if (panel === 'a') filters.layer = job.args.layer ?? null;
  else Object.assign(filters, { compare: true, comparePath: job.args.model, compareLayer: job.args.layer ?? null });
  // The view's first refresh must not start this panel over (and drop the job's result).
  if (loadedKey !== loadKey()) {
    loadedKey = loadKey();
    if (panel === 'b') void load('a');
    if (filters.demoModels.length === 0) void loadDemoModels();
  }
  await load(panel);
  await load(panel, true, job.jobId);
}

/**
 * Reloads what the open model (or its preprocessing) made stale, and drops firing evidence from a
 * folder that is no longer open; call when the view shows.
 */
export function refreshFilters(): void {
  const key = loadKey();
  if (key === loadedKey) return;
  loadedKey = key;
  if (session.model && filters.layer && !session.model.layers.some((l) => l.id === filters.layer)) filters.layer = null;
  filters.selected = null;
  void load('a');
  if (filters.demoModels.length === 0) void loadDemoModels();
  else if (filters.compare) chooseDefaultCompare();
}

async function loadDemoModels(): Promise<void> {
  try {
    filters.demoModels = (await getApi().call('spectraDemoModels', {})).models;
  } catch (e) {
    notices.error(e, 'Listing the demo models');
  }
  if (filters.compare) chooseDefaultCompare();
}

/** Default compare model: a shipped demo model other than the open one. */
function chooseDefaultCompare(): void {
  if (filters.comparePath.trim()) return;
  const other = filters.demoModels.find((m) => m.path !== session.model?.path);
  if (other) setComparePath(other.path);
}

/** Another layer; a panel that was scanned for firing is scanned again for it. */
export function selectLayer(id: string): void {
  filters.layer = id;
  filters.selected = null;
  void load('a', rescan('a'));
}

export function selectCompareLayer(id: string): void {
  filters.compareLayer = id;
  void load('b', rescan('b'));
}

function rescan(panel: Panel): boolean {
  return filters[panel].result?.firing != null && session.folder !== null;
}

export function setCompare(on: boolean): void {
  filters.compare = on;
  if (!on) return;
  if (filters.comparePath.trim()) {
    if (!filters.b.result && !filters.b.loading) void load('b');
  } else chooseDefaultCompare();
}

export function setComparePath(path: string): void {
  filters.comparePath = path;
  filters.compareLayer = null;
  void load('b');
}

/** The desktop shell's file dialog for the compare model (the server shell types a path). */
export async function pickComparePath(): Promise<void> {
  try {
    const picked = await getApi().pickPath('model');
    if (picked) setComparePath(picked);
  } catch (e) {
    notices.error(e, 'Opening the file dialog');
  }
}

export function scanFiring(panel: Panel): void {
  if (!session.folder) return;
  void load(panel, true);
}

export async function cancelScan(panel: Panel): Promise<void> {
  const s = filters[panel].scan;
  if (!s || s.cancelling) return;
  s.cancelling = true;
  try {
    await getApi().call('cancel', { jobId: s.jobId });
  } catch (e) {
    notices.error(e, 'Cancelling the firing scan');
  }
}

export function exportCsv(panel: Panel): void {
  const r = filters[panel].result;
  if (!r) return;
  try {
    downloadBytes(new TextEncoder().encode(spectraCsv(r)), `${spectraFileBase(r)}.csv`, 'text/csv');
  } catch (e) {
    notices.error(e, 'Exporting the table');
  }
}

/** Saves the spectra charts as one figure, PNG or SVG. */
export async function exportSpectraFigure(spec: FigureSpec, r: FilterSpectraResult, format: FigureFormat): Promise<void> {
  try {
    await saveFigure(spec, [spectraFileBase(r), 'charts'], format);
  } catch (e) {
    notices.error(e, `Exporting the charts as ${format.toUpperCase()}`);
  }
}
