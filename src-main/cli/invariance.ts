// `convscope invariance` (Fig. 5 sweeps) and `convscope consistency` (shift consistency, Zhang 2019).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  DEFAULT_CONSISTENCY_SEED, DEFAULT_PAIRS_PER_IMAGE, TRANSFORM_KINDS, defaultInvarianceLayers, defaultInvarianceRange, defaultMaxShift,
  type InvarianceImageResult, type TransformKind,
} from '../common/api-invariance.ts';
import { AppError } from '../common/errors.ts';
import { checkInt, LIMITS } from '../common/arg-checks.ts';
import { thetaProblem } from '../common/schemas-invariance.ts';
import type { ImageEntry, LayerInfo } from '../common/types.ts';
import { sweepBatchSize, sweepForward, sweepSteps, shiftConsistency, sweepImages, transformInput, type SweepItem } from '../core/analysis/invariance/index.ts';
import { progressLine } from './progress.ts';
import { decodeImage, encodePng, preprocess, thetaRange } from '../core/images/index.ts';
import type { ModelSession } from '../core/model/model-session.ts';
import { tensorToPixels } from '../core/model/pixels.ts';
import { intOption, parse, required, UsageError } from './args.ts';
import { common, print, withModel, type CommandGroup } from './common.ts';
import type { OpenOptions } from '../core/model/model-session.ts';
import { readableFolder, SkipReport, strictOption, STRICT_HELP } from './folder.ts';

const USAGE = `Invariance (Zeiler & Fergus Fig. 5) and shift consistency:
  convscope invariance  --model M (--image I[,I2…] | --images DIR [--limit n])
                        --transform translate-x|translate-y|scale|rotate [--range FROM:TO:STEPS]
                        [--layers L1,L2] [--dump-inputs DIR] [--strict] [--json]
  convscope consistency --model M --images DIR [--limit n] [--max-shift s] [--pairs n] [--seed k]
                        [--strict] [--json]

  invariance   for each image and θ (STEPS evenly spaced values, both ends included): the distance
               ‖φ_L(T_θ x) − φ_L(x)‖ of each layer's features (and divided by ‖φ_L(x)‖), P(true
               class) and the top-1 class. Translation θ is in pixels at the model's input size
               (positive: right / down), scale a factor, rotation degrees (counter-clockwise);
               uncovered pixels take the mean colour. Defaults: the paper's ranges (±60 px at 224,
               scaled; 1…1.8; 0…350°) and layers (first conv and last hidden fc layer, after their
               ReLUs), e.g. --range -17:17:35. The true class comes from the image's
               folder name when it names a class, else it is the top-1 class of the original image.
               --limit n takes n images round-robin over the class folders. --dump-inputs writes
               each transformed input as PNG.
  consistency  the share of random pairs of translations (offsets uniform in 0…s px per axis,
               default s = input size / 7, fixed seed) whose top-1 classes agree; --pairs is the
               number of pairs per image (default ${DEFAULT_PAIRS_PER_IMAGE}).
${STRICT_HELP}

Exit codes (invariance, consistency): 0 ok, 1 failed (also: no image could be read, or --strict and a
file was skipped), 2 usage error.`;


export function parseRange(text: string): { from: number; to: number; steps: number } {
  const parts = text.split(':');
  const [from, to, steps] = parts.map(Number);
  if (parts.length !== 3 || parts.some((p) => p.trim() === '') || !Number.isFinite(from) || !Number.isFinite(to) || !Number.isInteger(steps) || steps < 1 || steps > 1000) {
    throw new UsageError(`--range takes FROM:TO:STEPS (numbers, STEPS an integer 1…1000), got "${text}"`);
  }
  return { from, to, steps };
}

function parseTransform(v: string): TransformKind {
  if (!(TRANSFORM_KINDS as readonly string[]).includes(v)) throw new UsageError(`--transform must be one of ${TRANSFORM_KINDS.join(', ')}, got "${v}"`);
  return v as TransformKind;
}

/** Up to n entries, one class after another, so a small sample covers every class. */
export function roundRobin(entries: ImageEntry[], n: number): ImageEntry[] {
  const byClass = new Map<string, ImageEntry[]>();
  for (const e of entries) {
    const k = e.className ?? '';
    if (!byClass.has(k)) byClass.set(k, []);
    byClass.get(k)!.push(e);
  }
  const queues = [...byClass.values()];
  const out: ImageEntry[] = [];
  for (let i = 0; out.length < n && queues.some((q) => i < q.length); i++) {
    for (const q of queues) if (i < q.length && out.length < n) out.push(q[i]);
  }
  return out;
}

/** Images from --image (comma-separated files; class = parent folder name) or --images DIR [--limit], with their skip report. */
async function imageItems(values: Record<string, unknown>): Promise<{ items: SweepItem[]; skips: SkipReport }> {
  const image = values.image as string | undefined;
  const images = values.images as string | undefined;
  if ((image === undefined) === (images === undefined)) throw new UsageError('give exactly one of --image or --images');
  const limit = intOption(values, 'limit', 1);
  const strict = Boolean(values.strict);
  if (image !== undefined) {
    if (limit !== undefined) throw new UsageError('--limit applies to --images only');
    const items = image.split(',').filter(Boolean).map((f) => {
      const abs = path.resolve(f);
      return { path: abs, className: path.basename(path.dirname(abs)) };
    });
    return { items, skips: new SkipReport('the --image files', strict) };
  }
  // Absolute paths, as the JSON names the images.
  const folder = await readableFolder(images!, strict, true);
  const chosen = limit === undefined ? folder.entries : roundRobin(folder.entries, limit);
  return { items: chosen.map((e) => ({ path: path.join(folder.root, e.path), className: e.className })), skips: folder.skips };
}

async function loadInput(model: ModelSession, file: string): Promise<Float32Array> {
  return preprocess(await decodeImage(file, { channels: model.info.input.channels }), model.info.preprocessing);
}


function formatTheta(t: number): string {
  return String(Number(t.toPrecision(6)));
}

function table(r: InvarianceImageResult, thetas: number[], layers: string[], model: ModelSession): string {
  const head = ['θ'.padStart(8), ...layers.map((l) => `d (d̂) ${l}`.slice(0, 24).padStart(24)), 'P(true)'.padStart(9), '  top-1'];
  const rows = thetas.map((t, i) => [
    formatTheta(t).padStart(8),
    ...layers.map((l) => `${r.distance[l][i].toPrecision(4)} (${r.normalized[l][i].toFixed(3)})`.padStart(24)),
    r.pTrue[i].toFixed(4).padStart(9),
    `  ${model.label(r.top1[i])}`,
  ].join(' '));
  return [`${r.path} — true class ${r.trueClass} (${r.trueFrom === 'folder' ? 'from the folder name' : 'top-1 of the original'})`, head.join(' '), ...rows].join('\n');
}

function toJson(r: InvarianceImageResult, layers: string[]) {
  return {
    path: r.path,
    trueClass: r.trueClass,
    trueIndex: r.trueIndex,
    trueFrom: r.trueFrom,
    distance: Object.fromEntries(layers.map((l) => [l, Array.from(r.distance[l])])),
    normalized: Object.fromEntries(layers.map((l) => [l, Array.from(r.normalized[l])])),
    norm: r.norm,
    pTrue: Array.from(r.pTrue),
    top1: Array.from(r.top1),
  };
}

async function dumpInputs(dir: string, model: ModelSession, items: SweepItem[], kind: TransformKind, thetas: number[]): Promise<number> {
  await mkdir(dir, { recursive: true });
  const { channels, height, width } = model.info.input;
  const dims: [number, number, number] = [channels, height, width];
  let n = 0;
  for (const [k, item] of items.entries()) {
    const x = await loadInput(model, item.path);
    const base = `${String(k).padStart(3, '0')}-${path.basename(item.path).replace(/\.[^.]+$/, '')}`;
    for (const t of thetas) {
      const px = tensorToPixels(transformInput(x, dims, kind, t), dims, model.info.preprocessing);
      await writeFile(path.join(dir, `${base}-${kind}-${formatTheta(t)}.png`), await encodePng({ width, height, channels: px.channels, data: px.data }));
      n++;
    }
  }
  return n;
}

async function invariance(argv: string[]): Promise<void> {
  const values = parse(argv, {
    ...common, ...strictOption, image: { type: 'string' }, images: { type: 'string' }, limit: { type: 'string' }, transform: { type: 'string' },
    range: { type: 'string' }, layers: { type: 'string' }, 'dump-inputs': { type: 'string' },
  });
  if (values.help) return void console.log(USAGE);
  const kind = parseTransform(required(values, 'transform'));
  const range = values.range === undefined ? null : parseRange(values.range as string);
  if (range && kind === 'scale' && (range.from <= 0 || range.to <= 0)) throw new UsageError(`--range for scale takes positive factors, got "${values.range}"`);
  const { items, skips } = await imageItems(values);
  const layersOf = (all: readonly Pick<LayerInfo, 'id' | 'op' | 'kind'>[], name: string) => {
    const layers = typeof values.layers === 'string' ? values.layers.split(',').map((s) => s.trim()).filter(Boolean) : defaultInvarianceLayers(all);
    for (const l of layers) {
      if (!all.some((x) => x.id === l)) throw new AppError('NOT_FOUND', `${name} has no layer "${l}"; \`convscope info\` lists them`, { layer: l });
    }
    return layers;
  };
  // The one copy loaded is the sweep's own (sweepForward): distances in-graph, or the layers below opset 10.
  const swept: OpenOptions['rewrite'] = (g) => {
    const layers = layersOf(g.layers, path.basename(required(values, 'model')));
    return g.opset < 10 ? { kind: 'outputs', tensors: [...new Set(layers)].sort() } : { kind: 'distances', layers };
  };
  await withModel(values, async (m) => {
    const { height, width } = m.info.input;
    const r = range ?? defaultInvarianceRange(kind, [height, width]);
    const thetas = thetaRange(r.from, r.to, r.steps);
    // The app's limits (common/schemas-invariance.ts), against this model's input size.
    for (const t of [r.from, r.to]) {
      const problem = thetaProblem(kind, t, [height, width]);
      if (problem) throw new UsageError(`--range: ${kind} ${t} ${problem}`);
    }
    const layers = layersOf(m.info.layers, m.info.name);
    const t0 = performance.now();
    const forward = await sweepForward(m, layers);
    const steps = sweepSteps({ transform: kind, thetas });
    const line = progressLine('steps');
    let stepsDone = 0;
    const images = await sweepImages(items, (item) => loadInput(m, item.path), forward, {
      transform: kind, thetas, layers, outputIsProbability: m.outputIsProbability,
      dims: [m.info.input.channels, height, width], labels: m.info.labels, numClasses: m.info.numClasses, label: (i) => m.label(i),
      batchSize: sweepBatchSize(steps, m.info.input.channels * height * width),
      onSteps: (n) => line?.update((stepsDone += n), items.length * steps),
      onFailure: (item, reason) => skips.add({ path: item.path, reason }),
    }).finally(() => line?.end());
    const ms = performance.now() - t0;
    const skipped = skips.finish(images.length, items.length);
    const swept = new Set(images.map((x) => x.path));
    const dumped = typeof values['dump-inputs'] === 'string' ? await dumpInputs(path.resolve(values['dump-inputs']), m, items.filter((i) => swept.has(i.path)), kind, thetas) : 0;
    const result = { model: m.info.path, transform: kind, thetas, layers, images: images.map((x) => toJson(x, layers)), skipped, ms, ...(dumped ? { dumped } : {}) };
    print(Boolean(values.json), result, () => [
      ...images.map((x) => table(x, thetas, layers, m)),
      `${images.length} image(s) × ${thetas.length} values in ${ms.toFixed(0)} ms${dumped ? `; ${dumped} inputs written to ${path.resolve(values['dump-inputs'] as string)}` : ''}`,
    ].join('\n\n'));
  }, swept);
}

async function consistency(argv: string[]): Promise<void> {
  const values = parse(argv, {
    ...common, ...strictOption, images: { type: 'string' }, limit: { type: 'string' }, 'max-shift': { type: 'string' }, pairs: { type: 'string' }, seed: { type: 'string' },
  });
  if (values.help) return void console.log(USAGE);
  required(values, 'images');
  const { items, skips } = await imageItems(values);
  const pairsPerImage = intOption(values, 'pairs', 1) ?? DEFAULT_PAIRS_PER_IMAGE;
  const seed = intOption(values, 'seed', 0) ?? DEFAULT_CONSISTENCY_SEED;
  const givenShift = intOption(values, 'max-shift', 0);
  checkInt('consistency', 'pairs', pairsPerImage, 1, 100);
  checkInt('consistency', 'seed', seed, 0, LIMITS.seed);
  await withModel(values, async (m) => {
    const { channels, height, width } = m.info.input;
    checkInt('consistency', 'max-shift', givenShift, 0, Math.min(height, width), `the model input is ${height}×${width}`);
    const maxShift = givenShift ?? defaultMaxShift([height, width]);
    const t0 = performance.now();
    const counts = await shiftConsistency(items.length, (i) => loadInput(m, items[i].path), await m.forwardAt([]), {
      dims: [channels, height, width], output: m.info.outputs[0].name, maxShift, pairsPerImage, seed,
      onFailure: (i, reason) => skips.add({ path: items[i].path, reason }),
    });
    const ms = performance.now() - t0;
    const skipped = skips.finish(counts.images, items.length);
    const consistencyShare = counts.pairs ? counts.agree / counts.pairs : 0;
    const result = { model: m.info.path, consistency: consistencyShare, ...counts, maxShift, pairsPerImage, seed, skipped, ms };
    print(Boolean(values.json), result, () =>
      `shift consistency ${(consistencyShare * 100).toFixed(1)}% (${counts.agree} of ${counts.pairs} pairs agree; ${counts.images} images, ` +
      `offsets 0…${maxShift} px, seed ${seed})` + (skipped.length ? `\nskipped: ${skipped.map((s) => `${s.path} (${s.reason})`).join('; ')}` : ''),
    );
  }, () => ({ kind: 'outputs', tensors: [] }));
}

export const invarianceGroup: CommandGroup = { usage: USAGE, commands: { invariance, consistency } };
