// `convscope probe` (the paper's Table 7 after Alain & Bengio 2016): how linearly separable the
// classes of a labelled folder are at each layer (DESIGN §3 "Linear probe").
import path from 'node:path';
import { decodeImage, preprocess } from '../core/images/index.ts';
import { DEFAULT_FOLDS, DEFAULT_LAMBDA, probeImages } from '../core/analysis/probe/folds.ts';
import { probeModel, probePlan } from '../core/analysis/probe/run.ts';
import type { OpenOptions } from '../core/model/model-session.ts';
import { intOption, parse, required, UsageError } from './args.ts';
import { common, print, withModel, type CommandGroup } from './common.ts';
import { readableFolder, strictOption, STRICT_HELP } from './folder.ts';
import { Interrupt } from './interrupt.ts';
import { clearLine, progressLine, type ProgressLine } from './progress.ts';

const USAGE = `Linear probes:
  convscope probe     --model M --images DIR [--layers L1,L2,… | all] [--folds 5] [--lambda 1]
                      [--strict] [--json]

  probe     for each layer, the k-fold accuracy of a linear classifier on its features (DESIGN §3
            "Linear probe"): per-channel spatial means of a conv layer after its ReLU, the units of
            an fc layer after its ReLU; standardised, ridge-regressed on ±1 class targets (λ), the
            i-th image of each class (sorted by path) in fold i mod k. DIR needs one sub-folder per
            class. Default layers: every conv layer and every hidden fc layer; all: every layer but
            the outputs. Prints accuracy and its standard deviation over the folds per layer, the
            model's own accuracy on the same images and chance (the most frequent class's share).
            JSON: {images, classes, folds, lambda, modelAccuracy, chance, layers: [{layer, tensor,
            features, accuracy, std}], skipped}.
${STRICT_HELP}`;

function lambdaOption(v: string | boolean | undefined): number {
  if (v === undefined) return DEFAULT_LAMBDA;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n) || n <= 0) throw new UsageError(`--lambda must be a positive number, got "${String(v)}"`);
  return n;
}

async function probe(argv: string[]): Promise<number | void> {
  const values = parse(argv, { ...common, ...strictOption, images: { type: 'string' }, layers: { type: 'string' }, folds: { type: 'string' }, lambda: { type: 'string' } });
  if (values.help) return void console.log(USAGE);
  const dir = required(values, 'images');
  const modelFile = required(values, 'model');
  const folds = intOption(values, 'folds', 2) ?? DEFAULT_FOLDS;
  const lambda = lambdaOption(values.lambda);
  const layersArg = typeof values.layers === 'string' ? values.layers : undefined;
  const ids = layersArg === undefined ? undefined : layersArg === 'all' ? 'all' : layersArg.split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(ids) && ids.length === 0) throw new UsageError('--layers names no layer');
  const folder = await readableFolder(dir, Boolean(values.strict));
  // Before the model is opened: an unlabelled folder fails at once.
  probeImages(folder.entries, folds, folder.root);
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
      const json = {
        images: result.images, classes: result.classes, folds: result.folds, lambda: result.lambda,
        modelAccuracy: result.modelAccuracy, chance: result.chance,
        layers: result.layers.map((l) => ({ layer: l.layer, tensor: l.tensor, features: l.features, accuracy: l.accuracy, std: l.std })),
        skipped, ms: result.ms,
      };
      const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
      print(Boolean(values.json), json, () => [
        `${result.model}: ${result.images} images, ${result.classes} classes, ${result.folds} folds, λ = ${result.lambda}`,
        ...result.layers.map((l) => `  ${l.layer.padEnd(28)} ${String(l.features).padStart(5)} features  ${pct(l.accuracy).padStart(6)} ± ${pct(l.std)}`),
        `model accuracy: ${result.modelAccuracy === null ? 'n/a (no class name matches a label)' : pct(result.modelAccuracy)}; chance (largest class): ${pct(result.chance)}`,
      ].join('\n'));
    }, rewrite);
  } finally {
    interrupt.dispose();
  }
}

export const probeGroup: CommandGroup = { usage: USAGE, commands: { probe } };
