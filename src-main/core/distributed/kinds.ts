// One entry per kind of scan that can be spread over workers: how a worker runs a shard, and how the
// parent job merges the shards' results. Results travel through Redis as JSON. Top-k is here; the
// probe feature gathering and the evolution scans add their own entry (a shard type, a scan and a
// merge) beside it, and the queue, the worker and the flow serve them unchanged.
import type { ModelSession } from '../model/model-session.ts';
import { topkKind } from './topk-kind.ts';

export interface ShardContext {
  /** Aborted when the worker shuts down. */
  signal: AbortSignal;
  /** Items of the shard handled so far (images, for top-k): aggregated into the scan's progress. */
  progress(done: number): Promise<void>;
  models: ModelProvider;
}

export interface ModelProvider {
  /**
   * The model at `file` (the path every machine sees), loaded to output `tensors`, after checking
   * that its content hash is `hash`: a worker whose copy differs must not add its maxima to the scan.
   */
  open(file: string, hash: string, tensors: readonly string[]): Promise<ModelSession>;
}

export interface ScanKind<Shard = unknown, Result = unknown> {
  /** Runs one shard on a worker; the result must survive JSON. */
  scan(shard: Shard, ctx: ShardContext): Promise<Result>;
  /** The result of all the given shards' results, in any order (the parent job). */
  merge(results: Result[]): Result;
}

// `any`: each kind has its own shard and result types; the registry only routes by name.
export const KINDS: Record<string, ScanKind<any, any>> = {
  topk: topkKind,
};
