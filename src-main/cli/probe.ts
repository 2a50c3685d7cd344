// `convscope probe` (the paper's Table 7 after Alain & Bengio 2016): how linearly separable the
// classes of a labelled folder are at each layer (DESIGN §3 "Linear probe").
import path from 'node:path';
import { decodeImage, preprocess } from '../core/images/index.ts';
import { DEFAULT_FOLDS, DEFAULT_LAMBDA, probeImages } from '../core/analysis/probe/folds.ts';
import { probeCheckpoints } from '../core/analysis/probe/checkpoints.ts';
import { probeModel, probePlan, type ProbeOptions } from '../core/analysis/probe/run.ts';
import { listCheckpoints } from '../core/model/checkpoints.ts';
import { ModelSession, type OpenOptions } from '../core/model/model-session.ts';
import { nodeRuntimeHost } from '../core/runtime/launch-node.ts';
import { chooseProvider } from '../core/runtime/provider.ts';
import type { ProbeResult } from '../common/api-probe.ts';
import { intOption, parse, required, UsageError } from './args.ts';
import { common, print, providerOf, withModel, type CommandGroup } from './common.ts';
import { readableFolder, strictOption, STRICT_HELP } from './folder.ts';
import { Interrupt } from './interrupt.ts';
import { clearLine, progressLine, type ProgressLine } from './progress.ts';

const USAGE = `Linear probes:
  convscope probe     (--model M | --checkpoints DIR|A.onnx,B.onnx,…) --images DIR
                      [--layers L1,L2,… | all] [--folds 5] [--lambda 1] [--strict] [--json]

  probe     for each layer, the k-fold accuracy of a linear classifier on its features (DESIGN §3
            "Linear probe"): per-channel spatial means of a conv layer after its ReLU, the units of
            an fc layer after its ReLU; standardised, ridge-regressed on ±1 class targets (λ), the
            i-th image of each class (sorted by path) in fold i mod k. DIR needs one sub-folder per
            class. Default layers: every conv layer and every hidden fc layer; all: every layer but
            the outputs. Prints accuracy and its standard deviation over the folds per layer, the
            model's own accuracy on the same images and chance (the most frequent class's share).
            JSON: {images, classes, folds, lambda, modelAccuracy, chance, layers: [{layer, tensor,
            features, accuracy, std}], skipped}.
            --checkpoints instead of --model: the same block for each checkpoint (a folder of
            .onnx files and/or files, ordered by the epoch number in their names as \`convscope
            evolution\` orders them; one architecture, else the first file and layer that differ
            are named). JSON: {checkpoints: [{model, epoch, …block}], skipped}.
${STRICT_HELP}`;

function lambdaOption(v: string | boolean | undefined): number {
  if (v === undefined) return DEFAULT_LAMBDA;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n) || n <= 0) throw new UsageError(`--lambda must be a positive number, got "${String(v)}"`);
  return n;
}

async function probe(argv: string[]): Promise<number | void> {
  const values = parse(argv, { ...common, ...strictOption, images: { type: 'string' }, checkpoints: { type: 'string' }, layers: { type: 'string' }, folds: { type: 'string' }, lambda: { type: 'string' } });
  if (values.help) return void console.log(USAGE);
  const dir = required(values, 'images');
  const hasCheckpoints = typeof values.checkpoints === 'string';
  if (hasCheckpoints && values.model !== undefined) throw new UsageError('give --model or --checkpoints, not both');
  const modelFile = hasCheckpoints ? '' : required(values, 'model');
  const folds = intOption(values, 'folds', 2) ?? DEFAULT_FOLDS;
  const lambda = lambdaOption(values.lambda);
  const layersArg = typeof values.layers === 'string' ? values.layers : undefined;
  const ids = layersArg === undefined ? undefined : layersArg === 'all' ? 'all' : layersArg.split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(ids) && ids.length === 0) throw new UsageError('--layers names no layer');
  const folder = await readableFolder(dir, Boolean(values.strict));
  // Before the model is opened: an unlabelled folder fails at once.
  probeImages(folder.entries, folds, folder.root);
  if (hasCheckpoints) return probeCheckpointSet(values, String(values.checkpoints), folder, { layers: ids, folds, lambda });
  // The one copy of the model loaded: its class scores and each probed layer's means.
  const rewrite: OpenOptions['rewrite'] = (g) => ({ kind: 'means', layers: probePlan(g.layers, g.outputs.map((o) => o.name), path.basename(modelFile), ids).tensors });
  const interrupt = new Interrupt();
  try {
    return await withModel(values, async (m) => {
      let line: ProgressLine | undefined;
      let stage = '';
      const result = await probeModel(m, {
        root: folder.root,
        entries: folder.entries,
        load: async (p) => preprocess(await decodeImage(path.join(folder.root, p), { channels: m.info.input.channels }), m.info.preprocessing),
      }, { layers: ids, folds, lambda }, (s, done, total) => {
        if (s !== stage) {
          line?.end();
          stage = s;
          line = progressLine(s === 'images' ? 'images' : 'layer folds');
        }
        line?.update(done, total);
      }, interrupt.signal).catch((e: unknown) => {
        if (interrupt.received) return null;
        throw e;
      });
      line?.end();
      if (!result) {
        process.stderr.write(`${clearLine()}convscope: interrupted\n`);
        return interrupt.exitCode;
      }
      folder.skips.add(...result.skipped);
      const skipped = folder.skips.finish(result.images, result.images + result.skipped.length);
      print(Boolean(values.json), { ...probeBlock(result), skipped, ms: result.ms }, () => probeText(result));
    }, rewrite);
  } finally {
    interrupt.dispose();
  }
}

/** One model's block of the JSON (also each checkpoint's). */
function probeBlock(r: ProbeResult) {
  return {
    images: r.images, classes: r.classes, folds: r.folds, lambda: r.lambda,
    modelAccuracy: r.modelAccuracy, chance: r.chance,
    layers: r.layers.map((l) => ({ layer: l.layer, tensor: l.tensor, features: l.features, accuracy: l.accuracy, std: l.std })),
  };
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

function probeText(r: ProbeResult): string {
  return [
    `${r.model}: ${r.images} images, ${r.classes} classes, ${r.folds} folds, λ = ${r.lambda}`,
    ...r.layers.map((l) => `  ${l.layer.padEnd(28)} ${String(l.features).padStart(5)} features  ${pct(l.accuracy).padStart(6)} ± ${pct(l.std)}`),
    `model accuracy: ${r.modelAccuracy === null ? 'n/a (no class name matches a label)' : pct(r.modelAccuracy)}; chance (largest class): ${pct(r.chance)}`,
  ].join('\n');
}

/** `--checkpoints`: every checkpoint opened and compared, its features gathered in one pass, then the fits. */
async function probeCheckpointSet(values: Record<string, unknown>, list: string, folder: Awaited<ReturnType<typeof readableFolder>>, options: ProbeOptions): Promise<number | void> {
  const sources = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (sources.length === 0) throw new UsageError('--checkpoints names no folder or file');
  const checkpoints = await listCheckpoints(sources);
  const choice = chooseProvider(providerOf(values));
  const host = nodeRuntimeHost();
  const interrupt = new Interrupt();
  let line: ProgressLine | undefined;
  let stage = '';
  try {
    const run = await probeCheckpoints({
      checkpoints,
      // Every layer measured: the architecture check compares their shapes (the features come from a light copy).
      open: (c) => ModelSession.open(c.file, host, choice),
      close: (m) => m.close(),
      folder: { root: folder.root, entries: folder.entries },
      load: async (m, p) => preprocess(await decodeImage(path.join(folder.root, p), { channels: m.info.input.channels }), m.info.preprocessing),
      options,
      progress: (s, done, total) => {
        if (s !== stage) {
          line?.end();
          stage = s;
          line = progressLine(s === 'opening' ? 'checkpoints opened' : s === 'images' ? 'checkpoints × images' : 'checkpoint layer folds');
        }
        line?.update(done, total);
      },
      signal: interrupt.signal,
    }).catch((e: unknown) => {
      if (interrupt.received) return null;
      throw e;
    });
    line?.end();
    if (!run) {
      process.stderr.write(`${clearLine()}convscope: interrupted\n`);
      return interrupt.exitCode;
    }
    const first = run.checkpoints[0];
    // Every checkpoint reads the same images: the skips are the folder's, counted once.
    folder.skips.add(...first.skipped);
    const skipped = folder.skips.finish(first.images, first.images + first.skipped.length);
    const json = { checkpoints: run.checkpoints.map((c) => ({ model: c.file, epoch: c.epoch, ...probeBlock(c) })), skipped, ms: run.ms };
    print(Boolean(values.json), json, () => run.checkpoints.map((c) => `[epoch ${c.epoch ?? '–'}] ${probeText(c)}`).join('\n\n'));
  } finally {
    line?.end();
    interrupt.dispose();
    await host.close();
  }
}

export const probeGroup: CommandGroup = { usage: USAGE, commands: { probe } };
