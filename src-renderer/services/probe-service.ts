// The Probes view's calls: linear probes of the open model on the open folder (progress and cancel
// by jobId, re-attached after a reload), and exports.
import type { ArgOf } from '../../src-main/common/api.ts';
import type { JobInfo } from '../../src-main/common/api-jobs.ts';
import type { ProbeResult } from '../../src-main/common/api-probe.ts';
import { getApi } from '../lib/api-client.ts';
import { downloadBytes } from '../lib/download.ts';
import { isCancelled, toUserError } from '../lib/messages.ts';
import { probeCsv, probeJson } from '../lib/probe-chart.ts';
import { rememberStartedJob } from '../lib/started-jobs.ts';
import { notices } from '../state/notices.svelte.ts';
import { ProbeState } from '../state/probe.svelte.ts';
import { session } from '../state/session.svelte.ts';

export const probe = new ProbeState();

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
  await follow(jobId, 0, 0, () => getApi().call('probe', arg));
}

/** Takes up a probe job another page started (this page before a reload). */
export async function reattachProbe(job: JobInfo & { kind: 'probe' }): Promise<void> {
  if (probe.running) return;
  probe.folds = job.args.folds ?? null;
  probe.lambda = job.args.lambda ?? null;
  await follow(job.jobId, job.done, job.total, async () => {
    const r = await getApi().call('jobResult', { jobId: job.jobId });
    if (r.kind !== 'probe') throw new Error(`job ${job.jobId} is not a probe`);
    return r.value;
  });
}

async function follow(jobId: string, done: number, total: number, result: () => Promise<ProbeResult>): Promise<void> {
  probe.running = true;
  probe.jobId = jobId;
  probe.done = done;
  probe.total = total;
  probe.stage = null;
  probe.error = null;
  const off = getApi().on('progress', (e) => {
    if (e.jobId !== jobId) return;
    probe.done = e.done;
    probe.total = e.total;
    if (e.stage !== undefined) probe.stage = e.stage;
  });
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
