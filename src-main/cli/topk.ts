// `convscope topk` (Fig. 2's scan: the k strongest images per feature map over a folder).
import path from 'node:path';
import { decodeImage, preprocess } from '../core/images/index.ts';
import { cacheDir } from '../core/analysis/topk/cache.ts';
import { runTopk, type TopkRun, type TopkRunResult } from '../core/analysis/topk/run.ts';
import { scanTensors } from '../core/analysis/topk/layers.ts';
import { topkLayerJson } from '../common/topk-json.ts';
import { intOption, parse, required, UsageError } from './args.ts';
import { common, print, withModel, type CommandGroup } from './common.ts';
import type { OpenOptions } from '../core/model/model-session.ts';
import { readableFolder, strictOption, STRICT_HELP } from './folder.ts';
import { Interrupt } from './interrupt.ts';
import { clearLine, progressLine } from './progress.ts';
import { checkRedis } from '../core/distributed/queue.ts';
import { DEFAULT_SHARD_SIZE, MAX_DEFAULT_SHARDS, queueTopk } from '../core/distributed/topk-remote.ts';

// The synopsis keeps the column it had when occlusion shared this section, so the line reads as before.
const USAGE = `Top-k:
  convscope topk      --model M --images DIR --layer L [--k 9] [--no-cache] [--strict] [--json]
                      [--redis URL [--shard-size n]]

  topk      for every feature map of layer L (a conv layer is read after its ReLU; --layer conv
            scans every conv layer at once) the k images of DIR with the highest map maximum, with
            the argmax position and value, the map's firing rate (share of images with max > 0) and
            mean maximum. Cached under $CONVSCOPE_CACHE_DIR (else $XDG_CACHE_HOME/convscope, else
            ~/.cache/convscope) by model content, layer and folder listing (each image by size,
            mtime, ctime and inode): a repeat is instant and added images are scanned
            incrementally. Ctrl-C stops a scan keeping what it counted (exit 130), and the cache is
            checkpointed every 10 s ($CONVSCOPE_CHECKPOINT_SECONDS) even if the process is killed:
            the same command resumes. JSON: total (images listed), scanned (run this time), skipped.
  --redis   spread the scan over \`convscope worker\` processes taking shards from Redis at URL:
            the sorted listing in shards of consecutive files (--shard-size images each; default
            ${DEFAULT_SHARD_SIZE}, more for folders beyond ${DEFAULT_SHARD_SIZE * MAX_DEFAULT_SHARDS} images: at most ${MAX_DEFAULT_SHARDS} shards), merged
            exactly as a local scan (same JSON, same cache). Workers read the model and the images
            at the same paths. Ctrl-C removes the shards not yet taken and keeps the finished ones.
${STRICT_HELP}

Exit codes (topk): 0 ok, 1 failed (also: no image of DIR could be read, or --strict and a file was
skipped), 2 usage error, 130 interrupted by Ctrl-C (143 by SIGTERM).`;

async function topk(argv: string[]): Promise<number | void> {
  const values = parse(argv, { ...common, ...strictOption, images: { type: 'string' }, layer: { type: 'string' }, k: { type: 'string' }, 'no-cache': { type: 'boolean' }, redis: { type: 'string' }, 'shard-size': { type: 'string' } });
  if (values.help) return void console.log(USAGE);
  const dir = required(values, 'images');
  const layerArg = required(values, 'layer');
  const k = intOption(values, 'k', 1) ?? 9;
  if (k > 64) throw new UsageError(`--k must be at most 64, got ${k}`);
  const shardSize = intOption(values, 'shard-size', 1);
  const redis = values.redis as string | undefined;
  if (shardSize !== undefined && !redis) throw new UsageError('--shard-size applies to --redis scans only');
  // Before the model loads: a wrong URL is told at once, in one line.
  if (redis) await checkRedis(redis);
  const folder = await readableFolder(dir, Boolean(values.strict));
  const interrupt = new Interrupt();
  try {
    const layersOf = (all: readonly { id: string; kind: string }[]) => (layerArg === 'conv' ? all.filter((l) => l.kind === 'conv').map((l) => l.id) : [layerArg]);
    // The one copy of the model loaded: it outputs just the tensors the scan reads.
    const scanned: OpenOptions['rewrite'] = (g) => ({ kind: 'outputs', tensors: scanTensors(g.layers, layersOf(g.layers), path.basename(required(values, 'model'))) });
    return await withModel(values, async (m) => {
      const layers = layersOf(m.info.layers);
      const { preprocessing, input } = m.info;
      const run = (over: Partial<TopkRun>) => runTopk({
        model: m,
        folder: { root: folder.root, paths: folder.entries.map((e) => e.path) },
        layers,
        k,
        load: async (p) => preprocess(await decodeImage(path.join(folder.root, p), { channels: input.channels }), preprocessing),
        cacheDir: values['no-cache'] ? null : cacheDir(),
        onCacheWarning: (message) => process.stderr.write(`${clearLine()}convscope: ${message}\n`),
        remote: redis ? queueTopk({ url: redis, shardSize, onNote: (line) => process.stderr.write(`${clearLine()}convscope: ${line}\n`) }) : undefined,
        ...over,
      });
      let result: TopkRunResult;
      try {
        const line = progressLine('images');
        result = (await run({ signal: interrupt.signal, onProgress: line && ((d, t) => line.update(d, t)) }))!;
      } catch (e) {
        if (!interrupt.received) throw e;
        process.stderr.write(`${clearLine()}convscope: interrupted; ${await keptLine(values['no-cache'] ? null : run, folder.entries.length)}\n`);
        return interrupt.exitCode;
      }
      process.stderr.write(clearLine());
      for (const r of result.cacheRejected) process.stderr.write(`convscope: the cached scan of ${r.layer} was unusable (${r.reason}); scanned again\n`);
      folder.skips.add(...result.failures);
      const skipped = folder.skips.finish(Math.max(0, ...result.layers.map((l) => l.images)), result.total);
      const out = result.layers.map(topkLayerJson);
      const totals = { total: result.total, scanned: result.scanned, skipped, ms: result.ms };
      const json = out.length === 1 ? { ...out[0], ...totals } : { layers: out, images: result.total, ...totals };
      print(Boolean(values.json), json, () =>
        out
          .map((l) =>
            [
              `${l.layer}${l.tensor !== l.layer ? ` (read at ${l.tensor})` : ''}: ${l.images} images, ${l.maps.length} maps, never fire: ${l.neverFires.length ? l.neverFires.join(', ') : 'none'}`,
              ...l.maps.map((mp) => `  map ${String(mp.channel).padStart(4)}  firing ${(mp.firingRate * 100).toFixed(1).padStart(5)}%  top: ${mp.entries.slice(0, 3).map((e) => `${e.image}@${e.position.join(',')}=${e.value.toFixed(3)}`).join('  ')}`),
            ].join('\n'),
          )
          .join('\n') +
          `\n(${result.scanned} of ${result.total} images scanned${result.scanned < result.total ? ', the rest from the cache' : ''}${skipped.length ? `, ${skipped.length} skipped` : ''}, ${result.ms.toFixed(0)} ms)`,
      );
    }, scanned);
  } finally {
    interrupt.dispose();
  }
}

/** What an interrupted scan left in the cache, read back from it (the truth, also if a save failed). */
async function keptLine(run: ((over: Partial<TopkRun>) => Promise<TopkRunResult | null>) | null, total: number): Promise<string> {
  if (!run) return 'nothing kept (--no-cache)';
  const cached = await run({ scan: false }).catch(() => null);
  const kept = cached ? Math.min(...cached.layers.map((l) => l.images + l.failed)) : 0;
  return `${kept} of ${total} images are kept in the cache; the same command resumes from there`;
}

export const topkGroup: CommandGroup = { usage: USAGE, commands: { topk } };
