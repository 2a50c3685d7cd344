// The Correspondence view's calls: images and parts (from the strip, n per class, the shipped demo,
// a loaded file), the run (progress and cancel by jobId), the masked inputs for hover, exports.
import type { ArgOf } from '../../src-main/common/api.ts';
import type { JobInfo } from '../../src-main/common/api-jobs.ts';
import type { CorrespondenceResult, PartBox, PartSpec } from '../../src-main/common/api-correspondence.ts';
import { readPartsFile } from '../../src-main/common/correspondence-parts.ts';
import { getApi } from '../lib/api-client.ts';
import { pngUrl } from '../lib/blob-url.ts';
import { correspondenceCsv, correspondenceJson, defaultBox, partsJson } from '../lib/correspondence.ts';
import { downloadBytes } from '../lib/download.ts';
import { isCancelled, toUserError } from '../lib/messages.ts';
import { rememberStartedJob } from '../lib/started-jobs.ts';
import { CorrespondenceState } from '../state/correspondence.svelte.ts';
import { notices } from '../state/notices.svelte.ts';
import { session } from '../state/session.svelte.ts';
import { selected } from './images-service.ts';

export const corr = new CorrespondenceState();

let seq = 0;
const masked = new Map<string, Promise<string | null>>();

function inputSize(): [number, number] {
  return [session.model?.input.height ?? 1, session.model?.input.width ?? 1];
}

/** The model-input image of `path` (fetched once per model), for drawing its box on. */
export async function ensureInput(path: string): Promise<void> {
  if (corr.inputs[path]) return;
  try {
    const img = await getApi().call('modelInput', { path });
    corr.inputs = { ...corr.inputs, [path]: pngUrl(img.png) };
  } catch (e) {
    notices.error(e, `Reading ${path}`);
  }
}

/** Forget inputs and masked previews when the model (or its preprocessing) changes. */
export function invalidateInputs(): void {
  for (const url of Object.values(corr.inputs)) URL.revokeObjectURL(url);
  corr.inputs = {};
  masked.clear();
}

/** The masked model input of `path` with `box` at the mean colour (cached per box). */
export function maskedInput(path: string, box: PartBox): Promise<string | null> {
  const key = `${path}|${box.join(',')}`;
  let p = masked.get(key);
  if (!p) {
    p = getApi().call('correspondenceInput', { path, box }).then((img) => pngUrl(img.png), () => null);
    masked.set(key, p);
  }
  return p;
}

function setParts(parts: PartSpec[]): void {
  corr.parts = parts;
  corr.active = 0;
  corr.result = null;
  for (const p of parts) for (const b of p.boxes) void ensureInput(b.image);
}

export function addImage(path: string): void {
  const part = corr.part;
  if (!part) return;
  if (part.boxes.some((b) => b.image === path)) return void notices.info(`${path} is already in ${part.name}`);
  part.boxes.push({ image: path, box: defaultBox(...inputSize()) });
  void ensureInput(path);
}

export function addSelected(): void {
  if (selected.entry) addImage(selected.entry.path);
}

/** The first `n` images of each class of the open folder (its first 1,000 images). */
export async function addPerClass(n: number): Promise<void> {
  try {
    const { entries } = await getApi().call('listImages', { offset: 0, limit: 1000 });
    const taken = new Map<string, number>();
    for (const e of entries) {
      const k = e.className ?? '';
      if ((taken.get(k) ?? 0) >= n) continue;
      taken.set(k, (taken.get(k) ?? 0) + 1);
      addImage(e.path);
    }
  } catch (e) {
    notices.error(e, 'Listing the folder');
  }
}

export function addPart(): void {
  corr.parts.push({ name: `part ${corr.parts.length + 1}`, boxes: [] });
  corr.active = corr.parts.length - 1;
}

export function removePart(i: number): void {
  corr.parts.splice(i, 1);
  if (corr.parts.length === 0) corr.parts.push({ name: 'part 1', boxes: [] });
  corr.active = Math.min(corr.active, corr.parts.length - 1);
}

export async function loadSampleParts(): Promise<void> {
  try {
    setParts((await getApi().call('correspondenceParts', {})).parts);
  } catch (e) {
    notices.error(e, 'Loading the sample parts');
  }
}

/** A parts file the user picked: read here, its images matched to the open folder by the core. */
export async function loadPartsFile(file: File): Promise<void> {
  try {
    const text = await file.text();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new Error(`${file.name} is not JSON: ${(e as Error).message}`);
    }
    const { parts } = readPartsFile(value, file.name);
    setParts((await getApi().call('correspondenceParts', { parts })).parts);
  } catch (e) {
    notices.error(e, `Loading ${file.name}`);
  }
}

export function saveParts(): void {
  downloadBytes(new TextEncoder().encode(partsJson({ parts: corr.parts })), 'parts.json', 'application/json');
}

export async function runCorrespondence(): Promise<void> {
  if (corr.running) return;
  const jobId = `correspondence-${Date.now()}-${++seq}`;
  const arg: ArgOf<'correspondence'> = {
    parts: corr.parts.map((p) => ({ name: p.name, boxes: p.boxes.map((b) => ({ image: b.image, box: [...b.box] as PartBox })) })), random: corr.draws, seed: corr.seed, jobId,
  };
  if (corr.layers) arg.layers = corr.layers;
  rememberStartedJob(jobId);
  await follow(jobId, 0, 0, () => getApi().call('correspondence', arg));
}

/** Takes up a run another page (this page before a reload) started: its parts, progress and result. */
export async function reattachCorrespondence(job: JobInfo & { kind: 'correspondence' }): Promise<void> {
  if (corr.running) return;
  setParts(job.args.parts);
  corr.draws = job.args.random ?? 10;
  corr.seed = job.args.seed ?? 0;
  await follow(job.jobId, job.done, job.total, async () => {
    const r = await getApi().call('jobResult', { jobId: job.jobId });
    if (r.kind !== 'correspondence') throw new Error(`job ${job.jobId} is not a correspondence run`);
    return r.value;
  });
}

async function follow(jobId: string, done: number, total: number, result: () => Promise<CorrespondenceResult>): Promise<void> {
  corr.running = true;
  corr.jobId = jobId;
  corr.done = done;
  corr.total = total;
  corr.error = null;
  const off = getApi().on('progress', (e) => {
    if (e.jobId !== jobId) return;
    corr.done = e.done;
    corr.total = e.total;
  });
  try {
    corr.result = await result();
  } catch (e) {
    if (isCancelled(e)) notices.info('Correspondence cancelled');
    else corr.error = toUserError(e).message;
  } finally {
    off();
    corr.running = false;
    corr.jobId = null;
  }
}

export async function cancelCorrespondence(): Promise<void> {
  if (corr.jobId) await getApi().call('cancel', { jobId: corr.jobId }).catch((e: unknown) => notices.error(e, 'Cancelling'));
}

export function exportTable(kind: 'json' | 'csv'): void {
  const r = corr.result;
  if (!r) return;
  const text = kind === 'json' ? correspondenceJson(r, session.model?.name ?? null) : correspondenceCsv(r);
  downloadBytes(new TextEncoder().encode(text), `correspondence.${kind}`, kind === 'json' ? 'application/json' : 'text/csv');
}
