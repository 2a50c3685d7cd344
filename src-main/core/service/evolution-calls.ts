// The evolution calls: a checkpoint set's order and layers, and the feature-evolution figure over
// the open folder (a kept job: progress, cancel, re-attach after a reload).
import type { EvolutionCalls, EvolutionResult, EvolutionTile } from '../../common/api-evolution.ts';
import { truncateText } from '../../common/text.ts';
import { runEvolution } from '../analysis/evolution/run.ts';
import { DEFAULT_SEED } from '../analysis/evolution/subset.ts';
import { evolutionTile } from '../analysis/evolution/tiles.ts';
import { cacheDir } from '../analysis/topk/cache.ts';
import { resolveScanLayer } from '../analysis/topk/layers.ts';
import type { LayerTopkState } from '../analysis/topk/state.ts';
import { decodeImage, preprocess } from '../images/index.ts';
import { listCheckpoints } from '../model/checkpoints.ts';
import type { ModelSession } from '../model/model-session.ts';
import { checkChannel } from './arg-limits.ts';
import { CheckpointSessions } from './checkpoint-sessions.ts';
import type { ServiceContext } from './context.ts';

export function evolutionCalls(ctx: ServiceContext): EvolutionCalls {
  // Top-k states of the checkpoints' scans, kept between runs (the disk cache keeps them too).
  const memory = new Map<string, LayerTopkState>();
  const load = async (m: ModelSession, rel: string) => {
    const { file } = await ctx.imageFile(rel);
    return preprocess(await decodeImage(file, { channels: m.info.input.channels }), m.info.preprocessing);
  };

  return {
    async evolutionCheckpoints({ paths }) {
      const checkpoints = await listCheckpoints(paths);
      const { session, owned } = await ctx.workSession(checkpoints[0].file);
      try {
        const layers = session.info.layers.flatMap((l) => {
          if (l.kind !== 'conv' && l.kind !== 'fc') return [];
          try {
            return [{ id: l.id, kind: l.kind, maps: resolveScanLayer(session.info.layers, l.id, session.info.name).dims[0] }];
          } catch {
            return [];
          }
        });
        return { checkpoints: checkpoints.map((c) => ({ model: c.file, name: c.name, epoch: c.epoch })), layers };
      } finally {
        if (owned) await session.close();
      }
    },

    async evolution({ jobId, ...args }): Promise<EvolutionResult> {
      const folder = ctx.requireFolder();
      const checkpoints = await listCheckpoints(args.checkpoints);
      // Checked against the first checkpoint before the job starts, as every call checks its arguments.
      const sessions = await CheckpointSessions.start(ctx, checkpoints);
      await sessions.check(({ info }) => {
        const { dims } = resolveScanLayer(info.layers, args.layer, info.name);
        args.channels?.forEach((c, i) => checkChannel('evolution', `channels[${i}]`, c, args.layer, dims));
      });
      const index = new Map(folder.entries.map((e, i) => [e.path, i]));
      const tiles: EvolutionTile[][] = [];
      const label = `Feature evolution of ${truncateText(args.layer)} over ${checkpoints.length} checkpoint${checkpoints.length === 1 ? '' : 's'}`;
      return sessions.during(() =>
        ctx.jobs.runKept('evolution', args, label, checkpoints.length * folder.entries.length, async (job) => {
          const r = await runEvolution({
            checkpoints,
            open: sessions.open,
            close: sessions.close,
            folder,
            layer: args.layer,
            channels: args.channels,
            maps: args.maps,
            seed: args.seed,
            load,
            cacheDir: cacheDir(),
            memory,
            signal: job.signal,
            // Two stages: a 250 MB checkpoint takes a second to open, so a set of them takes several.
            onOpened: (d, t) => job.progress(d, t, 'opening checkpoints', { step: 1, steps: 2, unit: 'checkpoints' }),
            onProgress: (d, t) => job.progress(d, t, 'scanning', { step: 2, steps: 2, unit: 'images' }),
            onCheckpoint: async (m, i, cells) => {
              const inputs = new Map<string, Promise<Float32Array>>();
              for (const c of cells) if (!inputs.has(c.image)) inputs.set(c.image, load(m, c.image));
              const { tensor } = resolveScanLayer(m.info.layers, args.layer, m.info.name);
              tiles[i] = await Promise.all(cells.map(async (c) => evolutionTile(m, tensor, c, await inputs.get(c.image)!, index.get(c.image) ?? -1)));
            },
          });
          return {
            folder: folder.root, layer: r.layer, tensor: r.tensor, dims: r.dims,
            checkpoints: r.checkpoints.map((c) => ({ model: c.file, name: c.name, epoch: c.epoch, accuracy: c.accuracy, scanned: c.scanned })),
            maps: r.maps.map((m, j) => ({ channel: m.channel, entries: tiles.map((row) => row[j]) })),
            images: r.images, failed: r.failed, seed: args.seed ?? DEFAULT_SEED, ms: r.ms,
          };
        }, jobId, 'images'));
    },
  };
}

