// The Probes view's calls: linear probes of the open model on the open folder (progress and cancel
// by jobId, re-attached after a reload), and exports.
import type { ArgOf } from '../../src-main/common/api.ts';
import type { JobInfo } from '../../src-main/common/api-jobs.ts';
import type { ProbeCheckpointsResult, ProbeResult } from '../../src-main/common/api-probe.ts';
import { getApi } from '../lib/api-client.ts';
import { downloadBytes } from '../lib/download.ts';
import { followStage, startRun, type RunStart } from '../lib/job-text.ts';
import { isCancelled, toUserError } from '../lib/messages.ts';
import { probeCsv, probeJson } from '../lib/probe-chart.ts';
import { probeGridCsv, probeGridJson } from '../lib/probe-heatmap.ts';
import { training } from './evolution-service.ts';
import { rememberStartedJob } from '../lib/started-jobs.ts';
import { notices } from '../state/notices.svelte.ts';
import { CheckpointProbeState, ProbeState } from '../state/probe.svelte.ts';
import { session } from '../state/session.svelte.ts';

export const probe = new ProbeState();
export const checkpointProbe = new CheckpointProbeState();

let seq = 0;

/** Every layer but the model's outputs: what `all` probes. */
function allLayers(): string[] {
  const m = session.model;
  if (!m) return [];
  const outputs = new Set(m.outputs.map((o) => o.name));
  return m.layers.filter((l) => !outputs.has(l.id)).map((l) => l.id);
}

export async function runProbe(): Promise<void> {
  if (probe.running || !session.model) return;
  const jobId = `probe-${Date.now()}-${++seq}`;
  const arg: ArgOf<'probe'> = { jobId };
  if (probe.layers === 'all') arg.layers = allLayers().slice(0, 256);
  if (probe.folds !== null) arg.folds = probe.folds;
  if (probe.lambda !== null) arg.lambda = probe.lambda;
  rememberStartedJob(jobId);
  await follow(jobId, { done: 0, total: 0 }, () => getApi().call('probe', arg));
}

/** Takes up a probe job another page started (this page before a reload). */
export async function reattachProbe(job: JobInfo & { kind: 'probe' }): Promise<void> {
  if (probe.running) return;
  probe.folds = job.args.folds ?? null;
  probe.lambda = job.args.lambda ?? null;
  await follow(job.jobId, job, async () => {
    const r = await getApi().call('jobResult', { jobId: job.jobId });
    if (r.kind !== 'probe') throw new Error(`job ${job.jobId} is not a probe`);
    return r.value;
  });
}

async function follow(jobId: string, start: RunStart, result: () => Promise<ProbeResult>): Promise<void> {
  startRun(probe, jobId, start);
  const off = getApi().on('progress', (e) => followStage(probe, e, jobId));
  try {
    const r = await result();
    probe.result = r;
    probe.resultModel = session.model?.path ?? null;
  } catch (e) {
    if (isCancelled(e)) notices.info('Probes cancelled');
    else probe.error = toUserError(e).message;
  } finally {
    off();
    probe.running = false;
    probe.jobId = null;
  }
}

export async function cancelProbe(): Promise<void> {
  if (probe.jobId) await getApi().call('cancel', { jobId: probe.jobId }).catch((e: unknown) => notices.error(e, 'Cancelling'));
}

export function exportProbe(kind: 'json' | 'csv'): void {
  const r = probe.result;
  if (!r) return;
  const base = `probes-${r.model.replace(/\.onnx$/i, '').replace(/[^A-Za-z0-9._-]+/g, '_')}`;
  const text = kind === 'json' ? probeJson(r) : probeCsv(r);
  downloadBytes(new TextEncoder().encode(text), `${base}.${kind}`, kind === 'json' ? 'application/json' : 'text/csv');
}

/** Probes of every checkpoint of the Training view's set on the open folder (default layers). */
export async function runCheckpointProbe(): Promise<void> {
  if (checkpointProbe.running || training.sources.length === 0) return;
  const jobId = `probe-checkpoints-${Date.now()}-${++seq}`;
  const arg: ArgOf<'probeCheckpoints'> = { checkpoints: training.sources, jobId };
  if (probe.folds !== null) arg.folds = probe.folds;
  if (probe.lambda !== null) arg.lambda = probe.lambda;
  rememberStartedJob(jobId);
  await followCheckpoints(jobId, { done: 0, total: 0 }, () => getApi().call('probeCheckpoints', arg));
}

export async function reattachCheckpointProbe(job: JobInfo & { kind: 'probeCheckpoints' }): Promise<void> {
  if (checkpointProbe.running) return;
  if (training.sources.length === 0) training.sources = job.args.checkpoints;
  await followCheckpoints(job.jobId, job, async () => {
    const r = await getApi().call('jobResult', { jobId: job.jobId });
    if (r.kind !== 'probeCheckpoints') throw new Error(`job ${job.jobId} is not a probe over checkpoints`);
    return r.value;
  });
}

async function followCheckpoints(jobId: string, start: RunStart, result: () => Promise<ProbeCheckpointsResult>): Promise<void> {
  const s = checkpointProbe;
  startRun(s, jobId, start);
  const off = getApi().on('progress', (e) => followStage(s, e, jobId));
  try {
    s.result = await result();
    s.hover = null;
  } catch (e) {
    if (isCancelled(e)) notices.info('Probes over checkpoints cancelled');
    else s.error = toUserError(e).message;
  } finally {
    off();
    s.running = false;
    s.jobId = null;
  }
}

export async function cancelCheckpointProbe(): Promise<void> {
  if (checkpointProbe.jobId) await getApi().call('cancel', { jobId: checkpointProbe.jobId }).catch((e: unknown) => notices.error(e, 'Cancelling'));
}

export function exportCheckpointProbe(kind: 'json' | 'csv'): void {
  const r = checkpointProbe.result;
  if (!r) return;
  const text = kind === 'json' ? probeGridJson(r) : probeGridCsv(r);
  downloadBytes(new TextEncoder().encode(text), `probes-checkpoints.${kind}`, kind === 'json' ? 'application/json' : 'text/csv');
}
