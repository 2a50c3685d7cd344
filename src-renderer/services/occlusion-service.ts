// The Occlusion view's calls: the occlusion maps of the selected image (progress and cancel by
// jobId), the model-input image under them, the faithfulness check of a unit, and exports.
import type { ArgOf } from '../../src-main/common/api.ts';
import type { JobInfo } from '../../src-main/common/api-jobs.ts';
import type { OcclusionResult } from '../../src-main/common/api-occlusion.ts';
import { getApi } from '../lib/api-client.ts';
import { pngUrl } from '../lib/blob-url.ts';
import { rememberStartedJob } from '../lib/started-jobs.ts';
import { downloadBytes } from '../lib/download.ts';
import { exportFileName } from '../lib/figure-text.ts';
import { isCancelled, toUserError } from '../lib/messages.ts';
import { occlusionCsv, occlusionJson } from '../lib/occlusion-maps.ts';
import { notices } from '../state/notices.svelte.ts';
import { OcclusionState } from '../state/occlusion.svelte.ts';
import { selected } from './images-service.ts';

export const occlusion = new OcclusionState();

let seq = 0;
let inputFor: string | null = null;

/** The model-input image of the selected image (what the occluder slides over). */
export async function refreshInput(): Promise<void> {
  const path = selected.entry?.path ?? null;
  if (path === inputFor) return;
  inputFor = path;
  if (!path) return occlusion.setInput(null);
  try {
    const img = await getApi().call('modelInput', { path });
    if (inputFor === path) occlusion.setInput(pngUrl(img.png));
  } catch {
    if (inputFor === path) occlusion.setInput(null);
  }
}

/** Forget the image's input when the model or its preprocessing changes. */
export function invalidateInput(): void {
  inputFor = null;
}

export async function runOcclusion(): Promise<void> {
  const path = selected.entry?.path;
  if (!path || occlusion.running) return;
  const jobId = `occlusion-${Date.now()}-${++seq}`;
  const arg: ArgOf<'occlusion'> = { path, jobId };
  if (occlusion.size !== null) arg.size = occlusion.size;
  if (occlusion.stride !== null) arg.stride = occlusion.stride;
  if (occlusion.targetClass !== null) arg.targetClass = occlusion.targetClass;
  if (occlusion.layer !== null && occlusion.channel !== null) {
    arg.layer = occlusion.layer;
    arg.channel = occlusion.channel;
  }
  rememberStartedJob(jobId);
  await follow(jobId, 0, 0, () => getApi().call('occlusion', arg));
}

/**
 * Takes up an occlusion job another page started (this page before a reload): its settings, its
 * progress from here on, and its result as if this page had asked for it.
 */
export async function reattachOcclusion(job: JobInfo & { kind: 'occlusion' }): Promise<void> {
  if (occlusion.running) return;
  const a = job.args;
  occlusion.size = a.size ?? null;
  occlusion.stride = a.stride ?? null;
  occlusion.targetClass = a.targetClass ?? null;
  occlusion.layer = a.layer ?? null;
  occlusion.channel = a.channel ?? null;
  await follow(job.jobId, job.done, job.total, async () => {
    const r = await getApi().call('jobResult', { jobId: job.jobId });
    if (r.kind !== 'occlusion') throw new Error(`job ${job.jobId} is not an occlusion`);
    return r.value;
  });
}

/** Shows the progress of job `jobId` and then its result (or its error). */
async function follow(jobId: string, done: number, total: number, result: () => Promise<OcclusionResult>): Promise<void> {
  occlusion.running = true;
  occlusion.jobId = jobId;
  occlusion.done = done;
  occlusion.total = total;
  occlusion.error = null;
  const off = getApi().on('progress', (e) => {
    if (e.jobId !== jobId) return;
    occlusion.done = e.done;
    occlusion.total = e.total;
  });
  try {
    const r = await result();
    occlusion.result = r;
    occlusion.setFaith(null, null);
    void runFaithfulness();
  } catch (e) {
    if (isCancelled(e)) notices.info('Occlusion cancelled');
    else occlusion.error = toUserError(e).message;
  } finally {
    off();
    occlusion.running = false;
    occlusion.jobId = null;
  }
}

export async function cancelOcclusion(): Promise<void> {
  if (occlusion.jobId) await getApi().call('cancel', { jobId: occlusion.jobId }).catch((e: unknown) => notices.error(e, 'Cancelling'));
}

/** The paper's check for the unit the activity map follows (at its strongest position). */
export async function runFaithfulness(): Promise<void> {
  const r = occlusion.result;
  if (!r) return;
  occlusion.faithRunning = true;
  occlusion.faithError = null;
  try {
    const f = await getApi().call('occlusionFaithfulness', { path: r.path, layer: r.layer, channel: r.channel, size: Math.max(1, r.size) });
    if (occlusion.result !== r) return;
    occlusion.setFaith(f, pngUrl(f.mask));
  } catch (e) {
    if (occlusion.result === r) occlusion.faithError = toUserError(e).message;
  } finally {
    occlusion.faithRunning = false;
  }
}

export function exportOcclusion(kind: 'json' | 'csv'): void {
  const r = occlusion.result;
  if (!r) return;
  const text = kind === 'json' ? occlusionJson(r) : occlusionCsv(r);
  // Named as the PNG is: `occlusion-disc_disc-0.csv`, not `….png.csv`.
  downloadBytes(new TextEncoder().encode(text), exportFileName(['occlusion', r.path], kind), kind === 'json' ? 'application/json' : 'text/csv');
}
