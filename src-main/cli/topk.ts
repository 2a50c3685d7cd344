// `convscope topk` (Fig. 2's scan: the k strongest images per feature map over a folder) and
// `convscope occlusion` (Fig. 7's occlusion maps for one image).
import path from 'node:path';
import { decodeImage, matchClassToLabel, preprocess } from '../core/images/index.ts';
import { cacheDir } from '../core/analysis/topk/cache.ts';
import { runTopk, type TopkRun, type TopkRunResult } from '../core/analysis/topk/run.ts';
import { runOcclusion } from '../core/analysis/occlusion/run.ts';
import { resolveScanLayer, scanTensors } from '../core/analysis/topk/layers.ts';
import { checkChannel, checkClass, checkOccluder } from '../core/service/arg-limits.ts';
import { parse, required, UsageError } from './args.ts';
import { common, print, withModel, type CommandGroup } from './common.ts';
import type { OpenOptions } from '../core/model/model-session.ts';
import { readableFolder, strictOption, STRICT_HELP } from './folder.ts';
import { readModelInput } from './input.ts';
import { Interrupt } from './interrupt.ts';

const USAGE = `Top-k and occlusion:
  convscope topk      --model M --images DIR --layer L [--k 9] [--no-cache] [--strict] [--json]
  convscope occlusion --model M (--image I | --tensor T.npy) [--size s] [--stride t]
                      [--class c] [--layer L --channel C] [--json]

  topk      for every feature map of layer L (a conv layer is read after its ReLU; --layer conv
            scans every conv layer at once) the k images of DIR with the highest map maximum, with
            the argmax position and value, the map's firing rate (share of images with max > 0) and
            mean maximum. Cached under $CONVSCOPE_CACHE_DIR (else $XDG_CACHE_HOME/convscope, else
            ~/.cache/convscope) by model content, layer and folder listing (each image by size,
            mtime, ctime and inode): a repeat is instant and added images are scanned
            incrementally. Ctrl-C stops a scan keeping what it counted (exit 130), and the cache is
            checkpointed every 10 s ($CONVSCOPE_CHECKPOINT_SECONDS) even if the process is killed:
            the same command resumes. JSON: total (images listed), scanned (run this time), skipped.
${STRICT_HELP}
  occlusion a square of side s (default H/8) filled with 0 (the mean) slides with stride t (default
            s/2) over the preprocessed input; per position P(class) (--class, else the true class
            from the image's folder name, else the top-1), the top-1 class, and the total activity
            of map C of layer L (default the strongest map of the last conv layer).

Exit codes (topk): 0 ok, 1 failed (also: no image of DIR could be read, or --strict and a file was
skipped), 2 usage error, 130 interrupted by Ctrl-C (143 by SIGTERM).`;

function intOption(values: Record<string, unknown>, name: string, min: number): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got "${String(v)}"`);
  return n;
}

/** Erases the progress line, on a terminal only. */
function clearLine(): string {
  return process.stderr.isTTY ? '\r\x1b[K' : '';
}

/** Progress on a terminal's stderr: images done, images/s and time left. */
function progressLine(): (done: number, total: number) => void {
  const t0 = performance.now();
  return (done, total) => {
    const rate = done / Math.max(1e-3, (performance.now() - t0) / 1000);
    const eta = rate > 0 ? (total - done) / rate : 0;
    process.stderr.write(`\r\x1b[K${done}/${total} images  ${rate.toFixed(0)} img/s  ${eta.toFixed(0)} s left`);
  };
}

async function topk(argv: string[]): Promise<number | void> {
  const values = parse(argv, { ...common, ...strictOption, images: { type: 'string' }, layer: { type: 'string' }, k: { type: 'string' }, 'no-cache': { type: 'boolean' } });
  if (values.help) return void console.log(USAGE);
  const dir = required(values, 'images');
  const layerArg = required(values, 'layer');
  const k = intOption(values, 'k', 1) ?? 9;
  if (k > 64) throw new UsageError(`--k must be at most 64, got ${k}`);
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
        ...over,
      });
      let result: TopkRunResult;
      try {
        result = (await run({ signal: interrupt.signal, onProgress: process.stderr.isTTY ? progressLine() : undefined }))!;
      } catch (e) {
        if (!interrupt.received) throw e;
        process.stderr.write(`${clearLine()}convscope: interrupted; ${await keptLine(values['no-cache'] ? null : run, folder.entries.length)}\n`);
        return interrupt.exitCode;
      }
      process.stderr.write(clearLine());
      for (const r of result.cacheRejected) process.stderr.write(`convscope: the cached scan of ${r.layer} was unusable (${r.reason}); scanned again\n`);
      folder.skips.add(...result.failures);
      const skipped = folder.skips.finish(Math.max(0, ...result.layers.map((l) => l.images)), result.total);
      const out = result.layers.map((l) => ({
        layer: l.layer,
        tensor: l.tensor,
        images: l.images,
        failed: l.failed,
        neverFires: l.neverFires,
        maps: l.maps.map((mp) => ({
          channel: mp.channel,
          firingRate: mp.firingRate,
          meanMax: mp.meanMax,
          entries: mp.entries.map((e) => ({ image: e.image, position: e.position, value: e.value })),
        })),
      }));
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

async function occlusion(argv: string[]): Promise<void> {
  const values = parse(argv, {
    ...common, image: { type: 'string' }, tensor: { type: 'string' }, size: { type: 'string' }, stride: { type: 'string' },
    class: { type: 'string' }, layer: { type: 'string' }, channel: { type: 'string' },
  });
  if (values.help) return void console.log(USAGE);
  const size = intOption(values, 'size', 1);
  const stride = intOption(values, 'stride', 1);
  const targetClass = intOption(values, 'class', 0);
  const channel = intOption(values, 'channel', 0);
  const layer = values.layer as string | undefined;
  if ((layer === undefined) !== (channel === undefined)) throw new UsageError('give --layer and --channel together');
  await withModel(values, async (m) => {
    // The same limits as the app's occlusion call, against this model (exit 2 with the message).
    checkOccluder('occlusion', m, size, stride);
    checkClass('occlusion', 'targetClass', targetClass, m);
    if (layer !== undefined) checkChannel('occlusion', 'channel', channel, layer, resolveScanLayer(m.info.layers, layer, m.info.name).dims);
    const input = await readModelInput(m, values.image as string | undefined, values.tensor as string | undefined);
    let trueClass: number | null = null;
    if ('image' in input.source) trueClass = matchClassToLabel(path.basename(path.dirname(input.source.image)), m.info.labels);
    const source = 'image' in input.source ? input.source.image : input.source.tensor;
    const r = await runOcclusion(m, input.tensor, source, { size, stride, targetClass, trueClass, layer, channel });
    const [rows, cols] = r.grid;
    const grid = <T extends ArrayLike<number>>(a: T) => Array.from({ length: rows }, (_, y) => Array.from({ length: cols }, (_, x) => a[y * cols + x]));
    const json = {
      ...input.source,
      size: r.size,
      stride: r.stride,
      grid: r.grid,
      targetClass: r.targetClass,
      targetLabel: r.targetLabel,
      targetSource: r.targetSource,
      layer: r.layer,
      tensor: r.tensor,
      channel: r.channel,
      base: r.base,
      labels: r.labels,
      pClass: grid(r.pClass),
      top1: grid(r.top1),
      activity: grid(r.activity),
      ms: r.ms,
    };
    print(Boolean(values.json), json, () => {
      let min = 0;
      for (let i = 1; i < r.pClass.length; i++) if (r.pClass[i] < r.pClass[min]) min = i;
      return [
        `occluder ${r.size}×${r.size} px, stride ${r.stride}: ${rows}×${cols} positions`,
        `target ${r.targetLabel} (${r.targetSource}): P = ${r.base.pClass.toFixed(4)} unoccluded, lowest ${r.pClass[min].toFixed(4)} at (${Math.floor(min / cols) * r.stride}, ${(min % cols) * r.stride})`,
        `activity of ${r.layer} map ${r.channel}: ${r.base.activity.toFixed(3)} unoccluded`,
      ].join('\n');
    });
  });
}

export const topkGroup: CommandGroup = { usage: USAGE, commands: { topk, occlusion } };
