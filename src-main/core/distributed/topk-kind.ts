// Top-k scans spread over workers. A shard is a run of consecutive files of the sorted listing; a
// worker scans it as a local scan would (scan.ts: same batches, same failure handling) and returns
// per layer the part merge.ts defines; the parent merges the parts (merge.ts: the local tie rule).
import path from 'node:path';
import type { Preprocessing } from '../../common/types.ts';
import { decodeImage, preprocess } from '../images/index.ts';
import type { ScanLayer } from '../analysis/topk/layers.ts';
import { emptyPart, mergeParts, partOf, type TopkPart } from '../analysis/topk/merge.ts';
import { scanTopk } from '../analysis/topk/scan.ts';
import { emptyState } from '../analysis/topk/state.ts';
import type { ScanKind, ShardContext } from './kind-types.ts';

export interface TopkShard {
  /** Index of the shard in its scan. */
  shard: number;
  /** Absolute path of the model, the same on every machine, and its content hash. */
  model: string;
  modelHash: string;
  layers: ScanLayer[];
  k: number;
  /** The preprocessing of the machine that started the scan (a worker's sidecar may differ). */
  preprocessing: Preprocessing;
  batchSize: number;
  /** The image folder and the shard's folder-relative paths, in listing order. */
  root: string;
  paths: string[];
}

export interface TopkShardResult {
  /** The shards merged into this result. */
  shards: number[];
  /** Per layer of the shard (same order), the merged part. */
  layers: TopkPart[];
}

export async function scanTopkShard(shard: TopkShard, ctx: ShardContext): Promise<TopkShardResult> {
  const tensors = [...new Set(shard.layers.map((l) => l.tensor))];
  const model = await ctx.models.open(shard.model, shard.modelHash, tensors);
  const forward = await model.forwardAt(tensors);
  const { channels, height, width } = model.info.input;
  const states = shard.layers.map((l) => emptyState(l, shard.k));
  // Nothing is counted yet, so every image is to do whatever its signature.
  const listing = shard.paths.map((p) => ({ path: p, sig: '' }));
  await scanTopk(states, listing, async (img) => preprocess(await decodeImage(path.join(shard.root, img.path), { channels }), shard.preprocessing), forward, {
    inputSize: channels * height * width,
    batchSize: shard.batchSize,
    signal: ctx.signal,
    onProgress: (done) => void ctx.progress(done),
  });
  return { shards: [shard.shard], layers: states.map(partOf) };
}

export function mergeTopkResults(results: readonly TopkShardResult[]): TopkShardResult {
  const withLayers = results.filter((r) => r.layers.length > 0);
  if (withLayers.length === 0) return { shards: results.flatMap((r) => r.shards), layers: [] };
  const first = withLayers[0].layers;
  const layers = first.map((p, i) => withLayers.reduce((acc, r) => mergeParts(acc, r.layers[i]), emptyPart(p.tensor, p.k, p.fired.length)));
  return { shards: results.flatMap((r) => r.shards).sort((a, b) => a - b), layers };
}

export const topkKind: ScanKind<TopkShard, TopkShardResult> = { scan: scanTopkShard, merge: mergeTopkResults };
