// What the running-jobs strip says about a job: how far it is (items, or the step of a staged job
// such as opening a model), whether its bar can be determinate, and how long it has run.
import type { ProgressEvent } from '../../src-main/common/api.ts';
import { etaSeconds, formatCount, formatEta, formatRate } from '../../src-main/common/progress-text.ts';

type JobCounts = Pick<ProgressEvent, 'done' | 'total' | 'stage' | 'unit' | 'step' | 'steps'>;

/** A job that counts items stage by stage (ProgressEvent.step): its counts and rate are the stage's. */
export function countsItems(job: Pick<ProgressEvent, 'stage' | 'step'>): boolean {
  return !job.stage || job.step !== undefined;
}

/**
 * The stage a job is in, in words: `Stage 1/2: features` for a job counting items stage by stage (so
 * a count starting again from 0 reads as the next stage), else its stage as it says it, or ''.
 */
/** Where a run is when its page takes it up: nothing yet, or a kept job's state (a reload). */
export type RunStart = Pick<ProgressEvent, 'done' | 'total' | 'stage' | 'step' | 'steps' | 'unit'>;

/** What a view's state keeps of the job it runs (ProbeState, TrainingState, …). */
export interface StagedRun {
  running: boolean;
  jobId: string | null;
  done: number;
  total: number;
  /** The stage in words (`Stage 1/2: features`), and what its count counts. */
  stage: string | null;
  unit: string | null;
  error: string | null;
}

/** A run of job `jobId` taken up where `start` says it is. */
export function startRun(s: StagedRun, jobId: string, start: RunStart): void {
  s.running = true;
  s.jobId = jobId;
  s.done = start.done;
  s.total = start.total;
  s.stage = start.stage !== undefined || start.step !== undefined ? stageText(start) : null;
  s.unit = start.unit ?? null;
  s.error = null;
}

/** A progress event of job `jobId` into a run's state: its count, and the stage it is in with its unit. */
export function followStage(s: StagedRun, e: ProgressEvent, jobId: string): void {
  if (e.jobId !== jobId || e.finished) return;
  s.done = e.done;
  s.total = e.total;
  if (e.stage !== undefined || e.step !== undefined) s.stage = stageText(e);
  if (e.unit !== undefined) s.unit = e.unit;
}

export function stageText(job: Pick<ProgressEvent, 'stage' | 'step' | 'steps'>): string {
  if (job.step !== undefined && job.steps !== undefined) return `Stage ${job.step}/${job.steps}${job.stage ? `: ${job.stage}` : ''}`;
  return job.stage ?? '';
}

/** A job of one unit that has not finished it says nothing measurable: its bar slides. */
export function isIndeterminate(job: JobCounts): boolean {
  return job.total <= 1 && job.done === 0;
}

/**
 * The count beside the bar. A staged job counts stages done, so the stage it is in is the next one:
 * `step 2 of 4` while the second stage runs. Other jobs count items: `1,200 / 10,000`.
 */
export function jobCount(job: JobCounts): string {
  if (!countsItems(job)) return job.total <= 1 ? '' : `step ${Math.min(job.done + 1, job.total)} of ${job.total}`;
  // A job that counts named items says so even for one: `0 / 1 images`.
  if (job.total <= 1 && !job.unit) return '';
  return formatCount(job.done, job.total, job.unit);
}

/** Rate and time left beside the count, once measurable: `9.1/s · ETA 24 s`; empty for staged jobs. */
export function jobRate(job: JobCounts & { rate: number | null }): string {
  if (!countsItems(job) || job.rate === null) return '';
  const eta = job.done < job.total ? formatEta(etaSeconds(job.done, job.total, job.rate)) : '';
  return [formatRate(job.rate), eta].filter((p) => p !== '').join(' · ');
}

/** Time a job has run, in whole seconds while short: `0 s`, `42 s`, `1 min 05 s`, `1 h 02 min`. */
export function formatElapsed(ms: number): string {
  const s = Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : 0;
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** Items per second of a batch run from the renderer: done over the time to the last chunk; null before one. */
export function averageRate(done: number, startedAt: number, updatedAt: number): number | null {
  const s = (updatedAt - startedAt) / 1000;
  return done > 0 && s > 0 ? done / s : null;
}
