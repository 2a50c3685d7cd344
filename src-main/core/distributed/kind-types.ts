// What a kind of distributed scan is (kinds.ts registers them): apart from the registry, so a kind's
// own file can use these types without importing the registry that imports it.
import type { ModelSession } from '../model/model-session.ts';

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
