// The Model view's calls: the per-layer metrics, starting the analysis a metric lacks (the existing
// calls: a top-k scan of every conv layer, probes, an invariance sweep, faithfulness runs), and
// opening a layer in another view.
import type { LayerMetric, LayerMetricName } from '../../src-main/common/api-model.ts';
import { defaultInvarianceRange, thetaRange } from '../../src-main/common/api-invariance.ts';
import type { JobInfo } from '../../src-main/common/api-jobs.ts';
import type { ModelReportResult } from '../../src-main/common/api-model.ts';
import { getApi } from '../lib/api-client.ts';
import { downloadBytes } from '../lib/download.ts';
import { isCancelled, toUserError } from '../lib/messages.ts';
import { rememberStartedJob } from '../lib/started-jobs.ts';
import { ModelOverviewState } from '../state/model-overview.svelte.ts';
import { notices } from '../state/notices.svelte.ts';
import { session } from '../state/session.svelte.ts';
import { view } from '../state/view.svelte.ts';
import { selectLayer as selectFiltersLayer } from './filters-service.ts';
import { openLayer } from './layers-service.ts';
import { loadCached, topk } from './topk-service.ts';

export const overview = new ModelOverviewState();

let seq = 0;
let loadSeq = 0;

export async function loadMetrics(): Promise<void> {
  const model = session.model;
  if (!model) {
    overview.result = null;
    return;
  }
  const mine = ++loadSeq;
  overview.loading = true;
  try {
    const r = await getApi().call('layerMetrics', {});
    if (mine !== loadSeq || session.model?.path !== model.path) return;
    overview.result = r;
    overview.error = null;
  } catch (e) {
    if (mine === loadSeq) overview.error = toUserError(e).message;
  } finally {
    if (mine === loadSeq) overview.loading = false;
  }
}

/** A few images of the open folder, for the analyses that sample it. */
async function someImages(n: number): Promise<string[]> {
  const r = await getApi().call('listImages', { offset: 0, limit: n });
  return r.entries.map((e) => e.path);
}

async function runFor(m: LayerMetric, jobId: string): Promise<void> {
  const api = getApi();
  const model = session.model!;
  const missing = m.layers.filter((l) => !m.values.some((v) => v.layer === l));
  if (m.name === 'neverFires') {
    await api.call('topkScan', { layers: missing.length ? missing : m.layers, jobId });
  } else if (m.name === 'probe') {
    await api.call('probe', { jobId });
  } else if (m.name === 'invariance') {
    const size: [number, number] = [model.input.height, model.input.width];
    const r = defaultInvarianceRange('translate-x', size);
    await api.call('invarianceSweeps', { paths: await someImages(8), sweeps: [{ transform: 'translate-x', thetas: thetaRange(r.from, r.to, Math.min(r.steps, 9)) }], layers: m.layers.slice(0, 64), jobId });
  } else if (m.name === 'faithfulness') {
    // The strongest map of each conv layer on two images: one faithfulness run each.
    for (const path of await someImages(2)) {
      for (const layer of missing.length ? missing : m.layers) {
        const acts = await api.call('layerActivations', { path, layer });
        let best = 0;
        acts.maxima.forEach((v, i) => v > acts.maxima[best] && (best = i));
        await api.call('occlusionFaithfulness', { path, layer, channel: best });
      }
    }
  }
}

/** Starts what `name` lacks, then reloads the metrics. */
export async function runMetric(name: LayerMetricName): Promise<void> {
  const m = overview.result?.metrics.find((x) => x.name === name);
  if (!m || overview.running || !session.model) return;
  if (!session.folder && name !== 'flagged') {
    notices.error('Open an image folder first: this metric is measured on its images.');
    return;
  }
  const jobId = `overview-${name}-${Date.now()}-${++seq}`;
  rememberStartedJob(jobId);
  overview.running = name;
  try {
    await runFor(m, jobId);
    if (name === 'neverFires') void loadCached();
  } catch (e) {
    if (!isCancelled(e)) notices.error(toUserError(e).message);
  } finally {
    overview.running = null;
    await loadMetrics();
  }
}

/** Opens a layer of the graph in another view. */
export function openIn(target: 'layers' | 'filters' | 'topk', id: string): void {
  overview.selected = id;
  const layer = session.model?.layers.find((l) => l.id === id);
  if (target === 'layers') return openLayer(id);
  if (target === 'filters') {
    if (layer?.kind === 'conv') selectFiltersLayer(id);
    view.current = 'filters';
    return;
  }
  topk.scope = 'layer';
  topk.layerId = id;
  view.current = 'topk';
  void loadCached();
}

function saveReport(r: ModelReportResult): void {
  downloadBytes(new TextEncoder().encode(r.html), r.fileName, 'text/html');
}

/** Builds the report of the open model on the open folder (a kept job: progress in the job bar) and downloads it. */
export async function exportReport(): Promise<void> {
  if (overview.exporting || !session.model) return;
  if (!session.folder) {
    notices.error('Open an image folder first: the report is measured on its images.');
    return;
  }
  const jobId = `report-${Date.now()}-${++seq}`;
  rememberStartedJob(jobId);
  overview.exporting = true;
  try {
    saveReport(await getApi().call('modelReport', { jobId }));
  } catch (e) {
    if (!isCancelled(e)) notices.error(e, 'Building the report');
  } finally {
    overview.exporting = false;
    void loadMetrics();
  }
}

/** Takes up a report another page started (this page before a reload), and downloads it when done. */
export async function reattachReport(job: JobInfo & { kind: 'report' }): Promise<void> {
  if (overview.exporting) return;
  overview.exporting = true;
  try {
    const r = await getApi().call('jobResult', { jobId: job.jobId });
    if (r.kind === 'report') saveReport(r.value);
  } catch (e) {
    if (!isCancelled(e)) notices.error(e, 'Building the report');
  } finally {
    overview.exporting = false;
  }
}
