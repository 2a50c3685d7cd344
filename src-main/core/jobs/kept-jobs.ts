// Restorable jobs and their results, kept by job id so that a page can re-attach after a reload: the
// job goes on when the page that started it goes away, and its result waits here. Bounded: only the
// newest `maxFinished` finished jobs are kept, each for `ttlMs` after it ended.
import { AppError } from '../../common/errors.ts';
import type { JobInfo, JobKind, JobKinds, JobResult } from '../../common/api-jobs.ts';
import { quoted } from '../../common/text.ts';

export interface KeepOptions {
  maxFinished: number;
  ttlMs: number;
  now: () => number;
}

export const DEFAULT_KEEP: KeepOptions = { maxFinished: 6, ttlMs: 10 * 60_000, now: () => Date.now() };

export interface KeptJob {
  info: JobInfo;
  result: Promise<JobResult>;
  endedAt?: number;
}

export class KeptJobs {
  private readonly jobs = new Map<string, KeptJob>();
  private readonly options: KeepOptions;

  constructor(options?: Partial<KeepOptions>) {
    this.options = { ...DEFAULT_KEEP, ...options };
  }

  start<K extends JobKind>(kind: K, args: JobKinds[K]['args'], o: { jobId: string; label: string; total: number; unit: string }): KeptJob {
    const info = { jobId: o.jobId, kind, label: o.label, done: 0, total: o.total, unit: o.unit, finished: false, startedAt: this.options.now(), args } as JobInfo;
    const record: KeptJob = { info, result: new Promise(() => {}) };
    // A job id used again (a client's own ids) names the newer job.
    this.jobs.delete(o.jobId);
    this.jobs.set(o.jobId, record);
    return record;
  }

  progress(record: KeptJob, done: number, total: number): void {
    record.info.done = done;
    record.info.total = total;
  }

  settle<T extends JobKinds[JobKind]['result']>(record: KeptJob, result: Promise<T>): void {
    const kind = record.info.kind;
    record.result = result.then((value) => ({ kind, value }) as JobResult);
    // Nobody may ever ask for it: the rejection is handled here and given to whoever does.
    record.result.catch(() => {});
    const end = (failed?: string) => {
      record.info.finished = true;
      if (failed !== undefined) record.info.failed = failed;
      record.endedAt = this.options.now();
      this.prune();
    };
    result.then(() => end(), (e: unknown) => end(e instanceof AppError ? e.code : 'INTERNAL'));
  }

  list(): JobInfo[] {
    this.prune();
    return [...this.jobs.values()].reverse().map((j) => ({ ...j.info }));
  }

  result(jobId: string): Promise<JobResult> {
    this.prune();
    const job = this.jobs.get(jobId);
    if (!job) throw new AppError('NOT_FOUND', `job ${quoted(jobId)} is not running and its result is no longer kept`, { jobId });
    return job.result;
  }

  /** Drops finished jobs past their time, then the oldest finished ones past the count. */
  private prune(): void {
    const now = this.options.now();
    const finished: string[] = [];
    for (const [id, j] of this.jobs) {
      if (j.endedAt === undefined) continue;
      if (now - j.endedAt > this.options.ttlMs) this.jobs.delete(id);
      else finished.push(id);
    }
    for (const id of finished.slice(0, Math.max(0, finished.length - this.options.maxFinished))) this.jobs.delete(id);
  }
}
