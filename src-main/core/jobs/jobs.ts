// Long work: every job has an id, reports progress as events and can be cancelled.
// A job run with a `kind` is also kept (kept-jobs.ts): a page that went away, or its reload, can ask for it.
import { AppError } from '../../common/errors.ts';
import type { ProgressEvent, StageCount } from '../../common/api.ts';
import type { JobKind, JobKinds } from '../../common/api-jobs.ts';
import { KeptJobs, type KeepOptions } from './kept-jobs.ts';

export interface JobContext {
  signal: AbortSignal;
  /**
   * `stage` says what the job is doing now; it is sent at once, other updates are throttled. With
   * `count`, the job counts items stage by stage: `done`/`total` are this stage's, in `count.unit`.
   */
  progress(done: number, total?: number, stage?: string, count?: StageCount): void;
}

/** A kept job's context: it may also hand out parts of its result as it goes (jobParts). */
export interface KeptJobContext<K extends JobKind> extends JobContext {
  part(p: JobKinds[K]['part']): void;
}

export class Jobs {
  private running = new Map<string, AbortController>();
  private seq = 0;
  readonly kept: KeptJobs;

  /** `intervalMs`: the least time between two count updates of a job (tests count every one with 0). */
  constructor(
    private readonly emit: (e: ProgressEvent) => void,
    private readonly intervalMs = 100,
    keep?: Partial<KeepOptions>,
  ) {
    this.kept = new KeptJobs(keep);
  }

  /** A job a view can be restored from: `run` with what it is and the arguments that restore the view. */
  runKept<K extends JobKind>(
    kind: K, args: JobKinds[K]['args'], label: string, total: number,
    work: (ctx: KeptJobContext<K>) => Promise<JobKinds[K]['result']>, id: string | undefined, unit: string,
  ): Promise<JobKinds[K]['result']> {
    const jobId = id ?? `job-${++this.seq}`;
    const record = this.kept.start(kind, args, { jobId, label, total, unit });
    const part = (p: JobKinds[K]['part']) => this.kept.addPart<K>(record, p);
    const result = this.run(label, total, (ctx) => work({ ...ctx, part }), jobId, unit, (done, t, stage, count) => this.kept.progress(record, done, t, stage, count));
    this.kept.settle(record, result);
    return result;
  }

  /** `unit` names what `done`/`total` count (`positions`, `images`…) for the readers' `37 / 256 maps`. */
  async run<T>(
    label: string, total: number, work: (ctx: JobContext) => Promise<T>, id?: string, unit?: string,
    onCount?: (done: number, total: number, stage?: string, count?: StageCount) => void,
  ): Promise<T> {
    const jobId = id ?? `job-${++this.seq}`;
    const controller = new AbortController();
    this.running.set(jobId, controller);
    let lastTotal = total;
    let lastDone = 0;
    let lastEmit = 0;
    let lastStage: string | undefined;
    let lastCount: StageCount | undefined;
    const counted = unit !== undefined ? { unit } : {};
    const countedNow = () => (lastCount ? { unit: lastCount.unit, step: lastCount.step, steps: lastCount.steps } : counted);
    const ctx: JobContext = {
      signal: controller.signal,
      progress: (done, t, stage, count) => {
        lastDone = done;
        if (t !== undefined) lastTotal = t;
        const newStage = (stage !== undefined && stage !== lastStage) || (count !== undefined && count.step !== lastCount?.step);
        if (stage !== undefined) lastStage = stage;
        if (count !== undefined) lastCount = count;
        onCount?.(lastDone, lastTotal, lastStage, lastCount);
        const now = Date.now();
        // Throttled: a scan of 10,000 images must not flood the transport.
        if (newStage || now - lastEmit >= this.intervalMs || done >= lastTotal) {
          lastEmit = now;
          this.emit({ jobId, label, done, total: lastTotal, finished: false, ...(lastStage !== undefined ? { stage: lastStage } : {}), ...countedNow() });
        }
      },
    };
    this.emit({ jobId, label, done: 0, total, finished: false, ...counted });
    try {
      const result = await work(ctx);
      if (controller.signal.aborted) throw new AppError('CANCELLED', `${label}: cancelled`);
      return result;
    } finally {
      this.running.delete(jobId);
      this.emit({ jobId, label, done: lastDone, total: lastTotal, finished: true, ...countedNow() });
    }
  }

  cancel(jobId: string): boolean {
    const c = this.running.get(jobId);
    if (!c) return false;
    c.abort();
    return true;
  }

  get active(): string[] {
    return [...this.running.keys()];
  }
}

export function throwIfCancelled(signal: AbortSignal, what: string): void {
  if (signal.aborted) throw new AppError('CANCELLED', `${what}: cancelled`);
}
