// The topk API calls: folder scans (cached on disk, resumable, incremental) and the Fig. 2 tiles of
// a map, over the core's analysis functions.
import type { TopkCalls, TopkScanResult, TopkTilesResult } from '../../common/api-topk.ts';
import { checkInt } from '../../common/arg-checks.ts';
import { AppError } from '../../common/errors.ts';
import { quoted, truncateText } from '../../common/text.ts';
import { cacheDir } from '../analysis/topk/cache.ts';
import { resolveScanLayer } from '../analysis/topk/layers.ts';
import { findState, runTopk, DEFAULT_K } from '../analysis/topk/run.ts';
import type { LayerTopkState } from '../analysis/topk/state.ts';
import { topkTiles } from '../analysis/topk/tiles.ts';
import { checkChannel } from './arg-limits.ts';
import { countWorkers, shownUrl } from '../distributed/queue.ts';
import { queueTopk } from '../distributed/topk-remote.ts';
import type { ServiceContext } from './context.ts';

/** `redis`: scans go to workers through it (server mode's --redis). */
export function topkCalls(ctx: ServiceContext, redis?: string): TopkCalls {
  const memory = new Map<string, LayerTopkState>();
  const remote = redis ? queueTopk({ url: redis }) : undefined;
  // Scans of the same layer must not interleave (both would count the same images): one at a time.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => {});
    return next;
  };

  // Only scans queue: a look at the cache reads the states between batches of a running scan.
  const scanOrCached = (layers: string[], k: number | undefined, scan: boolean, jobId?: string): Promise<TopkScanResult | null> =>
    (scan ? serial : <T>(work: () => Promise<T>) => work())(async () => {
      const model = ctx.requireModel();
      const folder = ctx.requireFolder();
      const paths = folder.entries.map((e) => e.path);
      // The app learns of unreadable images through the folder's skipped list (ctx.inputTensor); the
      // contract's result leaves the per-image list out, which can be long for a folder of broken files.
      const run = (signal?: AbortSignal, onProgress?: (d: number, t: number) => void) =>
        runTopk({
          model,
          folder: { root: folder.root, paths },
          layers,
          k,
          load: async (p) => (await ctx.inputTensor(p)).tensor,
          cacheDir: cacheDir(),
          memory,
          scan,
          signal,
          onProgress,
          remote,
        }).then((r): TopkScanResult | null => {
          if (!r) return null;
          const { failures: _failures, cacheRejected: _rejected, ...result } = r;
          return result;
        });
      if (!scan) return run();
      const label = `Top-${k ?? DEFAULT_K} scan of ${layers.length === 1 ? truncateText(layers[0]) : `${layers.length} layers`}`;
      // A scan always has a result (only a look at the cache may find none).
      const scanned = (signal: AbortSignal, onProgress: (d: number, t: number) => void) => run(signal, onProgress).then((r) => r!);
      return ctx.jobs.runKept('topk', { layers, ...(k !== undefined ? { k } : {}) }, label, paths.length, (job) => scanned(job.signal, (d, t) => job.progress(d, t)), jobId, 'images');
    });

  return {
    async topkScan({ layers, k, jobId }) {
      return (await scanOrCached(layers, k, true, jobId))!;
    },

    async topkCached({ layers, k }) {
      return scanOrCached(layers, k, false);
    },

    async topkQueue() {
      if (!redis) return { queue: null, workers: 0 };
      const workers = await countWorkers(redis).catch((e: Error) => {
        throw new AppError('QUEUE_UNREACHABLE', `cannot reach Redis at ${shownUrl(redis)}: ${e.message}`);
      });
      return { queue: shownUrl(redis), workers };
    },

    async topkTiles({ layer, channel, k, projections = true }): Promise<TopkTilesResult> {
      const t0 = performance.now();
      const model = ctx.requireModel();
      const folder = ctx.requireFolder();
      checkChannel('topkTiles', 'channel', channel, layer, resolveScanLayer(model.info.layers, layer, model.info.name).dims);
      const state = await findState({ model, root: folder.root, layer, k, cacheDir: cacheDir(), memory });
      if (!state || state.count === 0) throw new AppError('NOT_FOUND', `layer ${quoted(layer)} has not been scanned over the open folder yet`, { layer });
      checkInt('topkTiles', 'channel', channel, 0, state.top.length - 1, `layer ${quoted(layer)} has ${state.top.length} maps`);
      const list = state.top[channel];
      const index = (p: string) => folder.entries.findIndex((e) => e.path === p);
      const entries = list.map((e) => ({ image: e.image, index: index(e.image), position: e.position, value: e.value }));
      const tensors = await Promise.all(entries.map(async (e) => (await ctx.inputTensor(e.image)).tensor));
      const keepId = `topk|${layer}|${channel}|${ctx.keepId(model, '')}`;
      const { tiles, skipped } = await topkTiles(model, entries, tensors, state.tensor, channel, projections, keepId);
      return { layer, tensor: state.tensor, channel, tiles, skipped, ms: performance.now() - t0 };
    },
  };
}
