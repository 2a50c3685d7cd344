// Restorable jobs and their results, kept by job id so that a page can re-attach after a reload: the
// job goes on when the page that started it goes away, and its result waits here. Bounded: only the
// newest `maxFinished` finished jobs are kept, each for `ttlMs` after it ended, and the oldest go
// first while the kept results hold over `maxBytes` (typed arrays and strings, roughly).
import { AppError } from '../../common/errors.ts';
import type { StageCount } from '../../common/api.ts';
import type { JobInfo, JobKind, JobKinds, JobParts, JobResult } from '../../common/api-jobs.ts';
import { quoted } from '../../common/text.ts';

export interface KeepOptions {
  maxFinished: number;
  ttlMs: number;
  maxBytes: number;
  now: () => number;
}

export const DEFAULT_KEEP: KeepOptions = { maxFinished: 6, ttlMs: 10 * 60_000, maxBytes: 256 * 2 ** 20, now: () => Date.now() };

/** About what a result holds in memory: its typed arrays' bytes, strings at 2 bytes a character, 8 for anything else. */
export function resultBytes(value: unknown, depth = 0): number {
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (typeof value === 'string') return 2 * value.length;
  if (value === null || typeof value !== 'object' || depth > 32) return 8;
  let n = 0;
  for (const v of Array.isArray(value) ? value : Object.values(value)) n += resultBytes(v, depth + 1);
  return n;
}

export interface KeptJob {
  info: JobInfo;
  result: Promise<JobResult>;
  /** What the job handed out so far (jobParts); the result holds the same objects, so they count no bytes of their own. */
  parts: unknown[];
  endedAt?: number;
  bytes?: number;
}

export class KeptJobs {
  private readonly jobs = new Map<string, KeptJob>();
  private readonly options: KeepOptions;

  constructor(options?: Partial<KeepOptions>) {
    this.options = { ...DEFAULT_KEEP, ...options };
  }

  start<K extends JobKind>(kind: K, args: JobKinds[K]['args'], o: { jobId: string; label: string; total: number; unit: string }): KeptJob {
    const info = { jobId: o.jobId, kind, label: o.label, done: 0, total: o.total, unit: o.unit, finished: false, startedAt: this.options.now(), args } as JobInfo;
    const record: KeptJob = { info, result: new Promise(() => {}), parts: [] };
    // A job id used again (a client's own ids) names the newer job.
    this.jobs.delete(o.jobId);
    this.jobs.set(o.jobId, record);
    return record;
  }

  progress(record: KeptJob, done: number, total: number, stage?: string, count?: StageCount): void {
    record.info.done = done;
    record.info.total = total;
    if (stage !== undefined) record.info.stage = stage;
    if (count !== undefined) Object.assign(record.info, count);
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
    result.then((value) => {
      record.bytes = resultBytes(value);
      end();
    }, (e: unknown) => end(e instanceof AppError ? e.code : 'INTERNAL'));
  }

  addPart<K extends JobKind>(record: KeptJob, part: JobKinds[K]['part']): void {
    record.parts.push(part);
  }

  list(): JobInfo[] {
    this.prune();
    return [...this.jobs.values()].reverse().map((j) => ({ ...j.info }));
  }

  result(jobId: string): Promise<JobResult> {
    return this.find(jobId).result;
  }

  parts(jobId: string, from: number): JobParts {
    const job = this.find(jobId);
    return { kind: job.info.kind, parts: job.parts.slice(from), finished: job.info.finished } as JobParts;
  }

  private find(jobId: string): KeptJob {
    this.prune();
    const job = this.jobs.get(jobId);
    if (!job) throw new AppError('NOT_FOUND', `job ${quoted(jobId)} is not running and its result is no longer kept`, { jobId });
    return job;
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
    for (const id of finished.splice(0, Math.max(0, finished.length - this.options.maxFinished))) this.jobs.delete(id);
    let bytes = finished.reduce((n, id) => n + (this.jobs.get(id)?.bytes ?? 0), 0);
    for (const id of finished) {
      if (bytes <= this.options.maxBytes) break;
      bytes -= this.jobs.get(id)?.bytes ?? 0;
      this.jobs.delete(id);
    }
  }
}
