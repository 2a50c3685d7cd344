// A top-k scan's missing images sent to the queue: shards of consecutive files of the sorted listing,
// one flow, the parent's merge read back (run.ts merges it into the cached state and saves).
import type { RemoteTopk } from '../analysis/topk/run.ts';
import type { ListedImage } from '../analysis/topk/state.ts';
import { runFlow } from './flow.ts';
import type { TopkShard, TopkShardResult } from './topk-kind.ts';

/** Images per shard by default: a few seconds of work, so progress moves and a lost shard costs little. */
export const DEFAULT_SHARD_SIZE = 500;
/**
 * Shards a scan has at most by default. Each finished shard's k lists per map wait in Redis until the
 * merge (ZF's conv5 at k = 9: some 90 KB a shard), so 1.3 M images make 256 shards of ~5,000, not 2,600.
 */
export const MAX_DEFAULT_SHARDS = 256;

export function defaultShardSize(images: number): number {
  return Math.max(DEFAULT_SHARD_SIZE, Math.ceil(images / MAX_DEFAULT_SHARDS));
}

export interface QueueScanOptions {
  url: string;
  shardSize?: number;
  onNote?: (line: string) => void;
}

/** Consecutive runs of at most `size` images. */
export function shardListing(todo: readonly ListedImage[], size: number): ListedImage[][] {
  const out: ListedImage[][] = [];
  for (let i = 0; i < todo.length; i += size) out.push(todo.slice(i, i + size));
  return out;
}

export function queueTopk(o: QueueScanOptions): RemoteTopk {
  return async (req) => {
    const groups = shardListing(req.todo, o.shardSize ?? defaultShardSize(req.todo.length));
    const shards: TopkShard[] = groups.map((g, shard) => ({
      shard, model: req.modelFile, modelHash: req.modelHash, layers: req.layers, k: req.k,
      preprocessing: req.preprocessing, batchSize: req.batchSize, root: req.root, paths: g.map((i) => i.path),
    }));
    const { result, cancelled } = await runFlow<TopkShard, TopkShardResult>({
      url: o.url, kind: 'topk', shards, sizes: groups.map((g) => g.length), signal: req.signal, onProgress: req.onProgress, onNote: o.onNote,
    });
    const covered = result.shards.flatMap((i) => groups[i]);
    return { parts: result.layers, covered, cancelled };
  };
}
