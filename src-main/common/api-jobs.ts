// Jobs a page can re-attach to: a reload (or a second page) asks which analyses are running or just
// finished on the server, and takes the result of one by its id as if it had started it.
import type { CorrespondenceArg, CorrespondenceResult } from './api-correspondence.ts';
import type { EvolutionArg, EvolutionResult } from './api-evolution.ts';
import type { InvariancePart, InvarianceSweepsArg, InvarianceSweepsResult } from './api-invariance.ts';
import type { ProjectAllArg, ProjectAllResult, ProjectedMap } from './api-project-all.ts';
import type { OcclusionResult } from './api-occlusion.ts';
import type { FilterSpectraResult } from './api-spectra.ts';
import type { ProbeArg, ProbeCheckpointsArg, ProbeCheckpointsResult, ProbeResult } from './api-probe.ts';
import type { TopkScanResult } from './api-topk.ts';
import type { ModelReportArg, ModelReportResult } from './api-model.ts';

export interface OcclusionJobArgs { path: string; size?: number; stride?: number; targetClass?: number; layer?: string; channel?: number }
export interface TopkJobArgs { layers: string[]; k?: number }
export type InvarianceJobArgs = Omit<InvarianceSweepsArg, 'jobId'>;
/** Spectra with a firing scan: of the open model (no `model`) or of the compared model file. */
export interface SpectraJobArgs { model?: string; layer?: string }
export type CorrespondenceJobArgs = Omit<CorrespondenceArg, 'jobId'>;
export type ProbeJobArgs = Omit<ProbeArg, 'jobId'>;
export type ProbeCheckpointsJobArgs = Omit<ProbeCheckpointsArg, 'jobId'>;
export type EvolutionJobArgs = Omit<EvolutionArg, 'jobId'>;

/**
 * A kind of job a view can be restored from, with the arguments that restore it, its result, and the
 * parts it hands out while it runs (`never`: the result comes whole).
 */
export interface JobKinds {
  occlusion: { args: OcclusionJobArgs; result: OcclusionResult; part: never };
  topk: { args: TopkJobArgs; result: TopkScanResult; part: never };
  invariance: { args: InvarianceJobArgs; result: InvarianceSweepsResult; part: InvariancePart };
  spectra: { args: SpectraJobArgs; result: FilterSpectraResult; part: never };
  /** Its parts: each batch of maps as it is done. */
  projectAll: { args: Omit<ProjectAllArg, 'jobId'>; result: ProjectAllResult; part: { maps: ProjectedMap[] } };
  correspondence: { args: CorrespondenceJobArgs; result: CorrespondenceResult; part: never };
  probe: { args: ProbeJobArgs; result: ProbeResult; part: never };
  probeCheckpoints: { args: ProbeCheckpointsJobArgs; result: ProbeCheckpointsResult; part: never };
  evolution: { args: EvolutionJobArgs; result: EvolutionResult; part: never };
  report: { args: Omit<ModelReportArg, 'jobId'>; result: ModelReportResult; part: never };
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
  /** The stage it is in, as its progress events say (ProgressEvent.stage, step, steps; unit above is then the stage's). */
  stage?: string;
  step?: number;
  steps?: number;
}
export type JobInfo = { [K in JobKind]: JobInfoBase & { kind: K; args: JobKinds[K]['args'] } }[JobKind];
export type JobResult = { [K in JobKind]: { kind: K; value: JobKinds[K]['result'] } }[JobKind];
/** A job's parts from `from` on, and whether it had ended when they were taken (no more parts come). */
export type JobParts = { [K in JobKind]: { kind: K; parts: JobKinds[K]['part'][]; finished: boolean } }[JobKind];

export interface JobCalls {
  /** The restorable jobs running now and those finished in the last minutes (newest first). */
  jobs(arg: Record<string, never>): Promise<JobInfo[]>;
  /** Waits for the job and returns its result, or throws its error; NOT_FOUND once it has expired. */
  jobResult(arg: { jobId: string }): Promise<JobResult>;
  /**
   * The parts a job handed out so far, from index `from` on (a page asks with the count it has, on
   * each progress event): the curves of a sweep fill in while it runs, after a reload too.
   */
  jobParts(arg: { jobId: string; from: number }): Promise<JobParts>;
}
