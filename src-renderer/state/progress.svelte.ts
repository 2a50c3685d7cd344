// Long jobs the core reports through `progress` events. A job shows only once it has run for a
// moment, so quick ones (opening a small model) do not flash a bar.
import type { ProgressEvent } from '../../src-main/common/api.ts';
import { RateMeter } from '../../src-main/common/progress-text.ts';
import { countsItems } from '../lib/job-text.ts';

const SHOW_AFTER_MS = 300;

export interface Job extends ProgressEvent {
  visible: boolean;
  cancelling: boolean;
  /**
   * When the job started (Date.now() clock), for its elapsed time: the server's start for a job this
   * page re-attached to after a reload (`started`), else when this renderer first heard of it.
   */
  startedAt: number;
  /** Items per second measured from the counts (null until two counts apart), for the rate and ETA. */
  rate: number | null;
}

export class ProgressJobs {
  jobs = $state<Job[]>([]);
  private readonly meters = new Map<string, RateMeter>();
  /** Starts the server reported for jobs that began before this page loaded. */
  private readonly starts = new Map<string, number>();

  get visible(): Job[] {
    return this.jobs.filter((j) => j.visible);
  }

  update(e: ProgressEvent, now = performance.now()): void {
    const i = this.jobs.findIndex((j) => j.jobId === e.jobId);
    if (e.finished) {
      if (i >= 0) this.jobs.splice(i, 1);
      this.meters.delete(e.jobId);
      this.starts.delete(e.jobId);
      return;
    }
    let meter = this.meters.get(e.jobId);
    // A new stage of a job counting stage by stage counts other items: its rate starts afresh.
    if (!meter || (i >= 0 && this.jobs[i].step !== e.step)) this.meters.set(e.jobId, (meter = new RateMeter()));
    // A staged job's count is its stages: no rate.
    const counting = countsItems(e);
    if (counting) meter.add(e.done, now);
    const rate = counting ? meter.rate() : null;
    if (i >= 0) {
      Object.assign(this.jobs[i], e, { rate });
      return;
    }
    this.jobs.push({ ...e, visible: false, cancelling: false, startedAt: this.starts.get(e.jobId) ?? Date.now(), rate });
    setTimeout(() => {
      const job = this.jobs.find((j) => j.jobId === e.jobId);
      if (job) job.visible = true;
    }, SHOW_AFTER_MS);
  }

  /**
   * The job began at `at` (ms since the epoch, as the server's job list says): its elapsed time counts
   * from then, not from this page load. Either order: before or after its first progress event here.
   * The server runs on this machine (or is the desktop shell's own process), so the clocks agree; a
   * start in the future is taken as now.
   */
  started(jobId: string, at: number, now = Date.now()): void {
    const t = Math.min(at, now);
    this.starts.set(jobId, t);
    const job = this.jobs.find((j) => j.jobId === jobId);
    if (job) job.startedAt = t;
  }

  markCancelling(jobId: string): void {
    const job = this.jobs.find((j) => j.jobId === jobId);
    if (job) job.cancelling = true;
  }

  clear(): void {
    this.jobs = [];
    this.meters.clear();
    this.starts.clear();
  }
}

export const progress = new ProgressJobs();
