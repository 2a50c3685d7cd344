// The Training view's calls: the checkpoint set (added through the file browser, ordered by the
// core), the feature-evolution figure as a job (progress, cancel, re-attach after a reload), exports.
import type { ArgOf } from '../../src-main/common/api.ts';
import type { EvolutionResult } from '../../src-main/common/api-evolution.ts';
import type { JobInfo } from '../../src-main/common/api-jobs.ts';
import { getApi } from '../lib/api-client.ts';
import { pngUrl } from '../lib/blob-url.ts';
import { downloadBytes } from '../lib/download.ts';
import { evolutionJson } from '../lib/evolution-figure.ts';
import { exportFileName } from '../lib/figure-text.ts';
import { followStage, startRun, type RunStart } from '../lib/job-text.ts';
import { isCancelled, toUserError } from '../lib/messages.ts';
import { rememberStartedJob } from '../lib/started-jobs.ts';
import { notices } from '../state/notices.svelte.ts';
import { TrainingState } from '../state/training.svelte.ts';
import { choosePath } from './browser-service.ts';

export const training = new TrainingState();

let seq = 0;
let listSeq = 0;

/** Adds a folder of checkpoints or one checkpoint file through the file browser (or the native dialog). */
export function addCheckpoints(kind: 'folder' | 'model'): Promise<void> {
  return choosePath(kind, kind === 'folder' ? 'Add a folder of checkpoints' : 'Add a checkpoint', async (path) => {
    if (!training.sources.includes(path)) training.sources = [...training.sources, path];
    await refreshCheckpoints();
  });
}

export async function clearCheckpoints(): Promise<void> {
  training.sources = [];
  await refreshCheckpoints();
}

/** The set in the core's order, and the layers of its architecture; keeps the chosen layer if it is one. */
export async function refreshCheckpoints(): Promise<void> {
  const mine = ++listSeq;
  training.listError = null;
  if (training.sources.length === 0) {
    training.list = null;
    return;
  }
  try {
    const list = await getApi().call('evolutionCheckpoints', { paths: training.sources });
    if (mine !== listSeq) return;
    training.list = list;
    if (!list.layers.some((l) => l.id === training.layer)) training.layer = list.layers.find((l) => l.kind === 'conv')?.id ?? list.layers[0]?.id ?? null;
  } catch (e) {
    if (mine !== listSeq) return;
    training.list = null;
    training.listError = toUserError(e).message;
  }
}

/** The channels typed, or an error message. */
export function parseChannels(text: string): number[] | string {
  const t = text.trim();
  if (t === '') return [];
  const parts = t.split(/[\s,]+/);
  if (parts.some((p) => !/^\d+$/.test(p))) return 'channels are non-negative integers separated by commas';
  return parts.map(Number);
}

export async function runEvolution(): Promise<void> {
  if (training.running || !training.layer || training.sources.length === 0) return;
  const channels = parseChannels(training.channels);
  if (typeof channels === 'string') {
    training.error = channels;
    return;
  }
  const jobId = `evolution-${Date.now()}-${++seq}`;
  const arg: ArgOf<'evolution'> = { checkpoints: training.sources, layer: training.layer, jobId };
  if (channels.length) arg.channels = channels;
  else {
    arg.maps = training.maps;
    arg.seed = training.seed;
  }
  rememberStartedJob(jobId);
  await follow(jobId, { done: 0, total: 0 }, () => getApi().call('evolution', arg));
}

/** Takes up a figure this tab started before a reload: its settings, progress and result. */
export async function reattachEvolution(job: JobInfo & { kind: 'evolution' }): Promise<void> {
  if (training.running) return;
  const a = job.args;
  training.sources = a.checkpoints;
  training.layer = a.layer;
  training.channels = a.channels?.join(', ') ?? '';
  if (a.maps !== undefined) training.maps = a.maps;
  if (a.seed !== undefined) training.seed = a.seed;
  void refreshCheckpoints();
  await follow(job.jobId, job, async () => {
    const r = await getApi().call('jobResult', { jobId: job.jobId });
    if (r.kind !== 'evolution') throw new Error(`job ${job.jobId} is not a feature evolution`);
    return r.value;
  });
}

async function follow(jobId: string, start: RunStart, result: () => Promise<EvolutionResult>): Promise<void> {
  startRun(training, jobId, start);
  training.cancelling = false;
  const off = getApi().on('progress', (e) => followStage(training, e, jobId));
  try {
    const r = await result();
    training.setResult(r, r.maps.map((m) => m.entries.map((e) => ({ projection: pngUrl(e.projection), patch: pngUrl(e.patch) }))));
  } catch (e) {
    if (isCancelled(e)) notices.info('Feature evolution cancelled');
    else training.error = toUserError(e).message;
  } finally {
    off();
    training.running = false;
    training.cancelling = false;
    training.jobId = null;
  }
}

export async function cancelEvolution(): Promise<void> {
  if (!training.jobId) return;
  training.cancelling = true;
  await getApi().call('cancel', { jobId: training.jobId }).catch((e: unknown) => notices.error(e, 'Cancelling'));
}

export function exportEvolutionJson(): void {
  const r = training.result;
  if (!r) return;
  downloadBytes(new TextEncoder().encode(evolutionJson(r)), exportFileName(['evolution', r.layer], 'json'), 'application/json');
}
