// `convscope evolution` (the paper's Fig. 4): how a layer's strongest images and their projections
// change across training checkpoints.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runEvolution, type EvolutionResult } from '../core/analysis/evolution/run.ts';
import { DEFAULT_MAPS, DEFAULT_SEED } from '../core/analysis/evolution/subset.ts';
import { cacheDir } from '../core/analysis/topk/cache.ts';
import { decodeImage, preprocess, writeNpy } from '../core/images/index.ts';
import { listCheckpoints } from '../core/model/checkpoints.ts';
import { ModelSession } from '../core/model/model-session.ts';
import { nodeRuntimeHost } from '../core/runtime/launch-node.ts';
import { chooseProvider } from '../core/runtime/provider.ts';
import { intOption, parse, required, UsageError } from './args.ts';
import { common, print, providerOf, type CommandGroup } from './common.ts';
import { readableFolder, strictOption, STRICT_HELP } from './folder.ts';
import { Interrupt } from './interrupt.ts';
import { clearLine, progressLine } from './progress.ts';

const USAGE = `Feature evolution:
  convscope evolution --checkpoints DIR|A.onnx,B.onnx,… --images DIR --layer L
                      [--maps ${DEFAULT_MAPS} | --channels c1,c2,…] [--seed ${DEFAULT_SEED}] [--out-dir D] [--no-cache]
                      [--strict] [--json]

  evolution the paper's Fig. 4: for maps of layer L (a conv layer is read after its ReLU), at each
            checkpoint the image of DIR with the highest map maximum, its argmax position and
            value, and (with --out-dir) its single-activation projection through that checkpoint's
            own weights and switches, written as D/<checkpoint>-c<channel>.npy (float32 C×H×W).
            --checkpoints takes a folder of .onnx files and/or files, comma-separated, ordered by
            the epoch number in their names (epoch-05, ep5, e5, else the last number; files with
            none come last, by name). They must share one architecture (layer ids and shapes):
            the first file and layer that differ are named. Maps: a seeded random subset of
            --maps (first n of a Fisher–Yates shuffle driven by mulberry32(--seed)), or
            --channels. With class sub-folders each checkpoint's accuracy on DIR (else null).
            Each checkpoint's scan is a top-9 scan cached as \`convscope topk\` caches it: a repeat
            is instant. JSON: {checkpoints: [{model, epoch, accuracy}], layer, maps: [{channel,
            entries: [{checkpoint (index into checkpoints), image, position, value, projection}]}]}.
${STRICT_HELP}`;

/** A file-name-safe stem of a checkpoint. */
function stem(name: string): string {
  return name.replace(/\.onnx$/i, '').replace(/[^A-Za-z0-9._-]+/g, '_');
}

function channelList(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.some((p) => !/^\d+$/.test(p))) throw new UsageError(`--channels takes non-negative integers separated by commas, got "${text}"`);
  return parts.map(Number);
}

async function evolution(argv: string[]): Promise<number | void> {
  const { model: _model, ...options } = common;
  const values = parse(argv, {
    ...options, ...strictOption, checkpoints: { type: 'string' }, images: { type: 'string' }, layer: { type: 'string' }, maps: { type: 'string' },
    channels: { type: 'string' }, seed: { type: 'string' }, 'out-dir': { type: 'string' }, 'no-cache': { type: 'boolean' },
  });
  if (values.help) return void console.log(USAGE);
  const sources = required(values, 'checkpoints').split(',').map((s) => s.trim()).filter(Boolean);
  const dir = required(values, 'images');
  const layer = required(values, 'layer');
  if (values.maps !== undefined && values.channels !== undefined) throw new UsageError('give --maps or --channels, not both');
  const maps = intOption(values, 'maps', 1);
  const seed = intOption(values, 'seed', 0);
  if (seed !== undefined && seed > 0xffffffff) throw new UsageError(`--seed must be at most ${0xffffffff}, got ${seed}`);
  const channels = typeof values.channels === 'string' ? channelList(values.channels) : undefined;
  const outDir = typeof values['out-dir'] === 'string' ? path.resolve(values['out-dir']) : null;
  const choice = chooseProvider(providerOf(values));
  const checkpoints = await listCheckpoints(sources);
  const folder = await readableFolder(dir, Boolean(values.strict));
  const host = nodeRuntimeHost();
  const interrupt = new Interrupt();
  const line = progressLine('images');
  let result: EvolutionResult;
  try {
    result = await runEvolution({
      checkpoints,
      // Tapped everywhere, also without projections: the zero pass that opens it measures every
      // layer's shape, which the architecture check compares (the scan itself runs a light copy).
      open: (c) => ModelSession.open(c.file, host, choice),
      close: (m) => m.close(),
      folder: { root: folder.root, entries: folder.entries },
      layer, channels, maps, seed,
      load: async (m, p) => preprocess(await decodeImage(path.join(folder.root, p), { channels: m.info.input.channels }), m.info.preprocessing),
      cacheDir: values['no-cache'] ? null : cacheDir(),
      projections: outDir !== null,
      signal: interrupt.signal,
      onProgress: line && ((d, t) => line.update(d, t)),
      onCacheWarning: (message) => process.stderr.write(`${clearLine()}convscope: ${message}\n`),
    });
  } catch (e) {
    if (!interrupt.received) throw e;
    process.stderr.write(`${clearLine()}convscope: interrupted; the checkpoints scanned so far are kept in the cache${values['no-cache'] ? ' (not with --no-cache)' : ''}\n`);
    return interrupt.exitCode;
  } finally {
    line?.end();
    interrupt.dispose();
    await host.close();
  }
  folder.skips.add(...result.failures);
  const skipped = folder.skips.finish(result.images - result.failed, result.images);

  const stems = result.checkpoints.map((c) => stem(c.name));
  const files = stems.map((s, i) => (stems.indexOf(s) === i && stems.lastIndexOf(s) === i ? s : `${i}-${s}`));
  if (outDir) await mkdir(outDir, { recursive: true });
  const out = {
    checkpoints: result.checkpoints.map((c) => ({ model: c.file, epoch: c.epoch, accuracy: c.accuracy, scanned: c.scanned })),
    layer: result.layer,
    tensor: result.tensor,
    images: result.images,
    maps: await Promise.all(result.maps.map(async (m) => ({
      channel: m.channel,
      entries: await Promise.all(m.entries.map(async (e) => {
        let projection: string | undefined;
        if (outDir && e.projection) {
          projection = path.join(outDir, `${files[e.checkpoint]}-c${m.channel}.npy`);
          await writeFile(projection, writeNpy(e.projection.dims, e.projection.data));
        }
        return { checkpoint: e.checkpoint, image: e.image, position: e.position, value: e.value, ...(projection ? { projection } : {}) };
      })),
    }))),
    skipped,
    ms: result.ms,
  };
  print(Boolean(values.json), out, () => {
    const pct = (a: number | null) => (a === null ? '–' : `${(a * 100).toFixed(2)}%`);
    const rows = out.maps.map((m) => {
      const changes = m.entries.filter((e, i) => i > 0 && e.image !== m.entries[i - 1].image).length;
      return `  map ${String(m.channel).padStart(4)}  ${m.entries.map((e) => `${e.image}@${e.position.join(',')}=${e.value.toFixed(3)}`).join('  ')}  (top image changes ${changes}×)`;
    });
    return [
      `${out.layer}${out.tensor !== out.layer ? ` (read at ${out.tensor})` : ''} over ${out.images} images of ${folder.root}`,
      ...out.checkpoints.map((c, i) => `  [${i}] ${path.basename(c.model)}  epoch ${c.epoch ?? '–'}  accuracy ${pct(c.accuracy)}`),
      ...rows,
      `(${out.ms.toFixed(0)} ms${outDir ? `; projections in ${outDir}` : ''})`,
    ].join('\n');
  });
}

export const evolutionGroup: CommandGroup = { usage: USAGE, commands: { evolution } };
