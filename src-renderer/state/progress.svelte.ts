// Long jobs the core reports through `progress` events. A job shows only once it has run for a
// moment, so quick ones (opening a small model) do not flash a bar.
import type { ProgressEvent } from '../../src-main/common/api.ts';

const SHOW_AFTER_MS = 300;

export interface Job extends ProgressEvent {
  visible: boolean;
  cancelling: boolean;
  /** When this renderer first heard of the job (Date.now()), for its elapsed time. */
  startedAt: number;
}

export class ProgressJobs {
  jobs = $state<Job[]>([]);

  get visible(): Job[] {
    return this.jobs.filter((j) => j.visible);
  }

  update(e: ProgressEvent): void {
    const i = this.jobs.findIndex((j) => j.jobId === e.jobId);
    if (e.finished) {
      if (i >= 0) this.jobs.splice(i, 1);
      return;
    }
    if (i >= 0) {
      Object.assign(this.jobs[i], e);
      return;
    }
    this.jobs.push({ ...e, visible: false, cancelling: false, startedAt: Date.now() });
    setTimeout(() => {
      const job = this.jobs.find((j) => j.jobId === e.jobId);
      if (job) job.visible = true;
    }, SHOW_AFTER_MS);
  }

  markCancelling(jobId: string): void {
    const job = this.jobs.find((j) => j.jobId === jobId);
    if (job) job.cancelling = true;
  }

  clear(): void {
    this.jobs = [];
  }
}

export const progress = new ProgressJobs();
