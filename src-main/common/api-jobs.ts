// Jobs a page can re-attach to: a reload (or a second page) asks which analyses are running or just
// finished on the server, and takes the result of one by its id as if it had started it.
import type { EvolutionArg, EvolutionResult } from './api-evolution.ts';
import type { InvarianceSweepArg, InvarianceSweepResult } from './api-invariance.ts';
import type { OcclusionResult } from './api-occlusion.ts';
import type { TopkScanResult } from './api-topk.ts';

export interface OcclusionJobArgs { path: string; size?: number; stride?: number; targetClass?: number; layer?: string; channel?: number }
export interface TopkJobArgs { layers: string[]; k?: number }
export type InvarianceJobArgs = Omit<InvarianceSweepArg, 'jobId'>;
export type EvolutionJobArgs = Omit<EvolutionArg, 'jobId'>;

/** A kind of job a view can be restored from, with the arguments that restore it and its result. */
export interface JobKinds {
  occlusion: { args: OcclusionJobArgs; result: OcclusionResult };
  topk: { args: TopkJobArgs; result: TopkScanResult };
  invariance: { args: InvarianceJobArgs; result: InvarianceSweepResult };
  evolution: { args: EvolutionJobArgs; result: EvolutionResult };
}
export type JobKind = keyof JobKinds;

interface JobInfoBase {
  jobId: string;
  label: string;
  done: number;
  total: number;
  unit?: string;
  /** True once the job ended, whether with a result or an error. */
  finished: boolean;
  /** The error's code when it ended with one (`CANCELLED` when cancelled). */
  failed?: string;
  /** Milliseconds since the epoch (server clock). */
  startedAt: number;
}
export type JobInfo = { [K in JobKind]: JobInfoBase & { kind: K; args: JobKinds[K]['args'] } }[JobKind];
export type JobResult = { [K in JobKind]: { kind: K; value: JobKinds[K]['result'] } }[JobKind];

export interface JobCalls {
  /** The restorable jobs running now and those finished in the last minutes (newest first). */
  jobs(arg: Record<string, never>): Promise<JobInfo[]>;
  /** Waits for the job and returns its result, or throws its error; NOT_FOUND once it has expired. */
  jobResult(arg: { jobId: string }): Promise<JobResult>;
}
