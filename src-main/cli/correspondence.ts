// `convscope correspondence` (the paper's Table 1: does a layer tie the same part across images?).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_CORRESPONDENCE_SEED, DEFAULT_RANDOM_DRAWS, defaultCorrespondenceLayers, type CorrespondenceResult, type PartsFile } from '../common/api-correspondence.ts';
import { checkInt, LIMITS } from '../common/arg-checks.ts';
import { readPartsFile } from '../common/correspondence-parts.ts';
import { AppError } from '../common/errors.ts';
import type { LayerInfo } from '../common/types.ts';
import { correspondenceTensors, runCorrespondence } from '../core/analysis/correspondence/run.ts';
import { decodeImage, preprocess } from '../core/images/index.ts';
import type { OpenOptions } from '../core/model/model-session.ts';
import { intOption, parse, required } from './args.ts';
import { common, print, withModel, type CommandGroup } from './common.ts';
import { progressLine } from './progress.ts';

const USAGE = `Correspondence (Zeiler & Fergus Table 1):
  convscope correspondence --model M --parts parts.json [--layers L1,L2] [--random R] [--seed k]
                           [--json]

  correspondence  for each part (a name and, per image, a box [y, x, h, w] in model-input pixels),
                  εᵢ = φ(xᵢ) − φ(x̃ᵢ) with x̃ᵢ the image with its box filled with 0 (the mean), and
                  Δ = the mean over pairs of images of the share of features whose signs (−, 0, +)
                  of ε differ: low Δ means the layer ties the part across images. Layers default
                  to the last conv and the last hidden fc layer, after their ReLUs. The random
                  control moves every box to a uniformly drawn place (same size) R times (default
                  ${DEFAULT_RANDOM_DRAWS}; seed k, default ${DEFAULT_CORRESPONDENCE_SEED}): mean and population std of Δ.
                  parts.json: {"parts": [{"name": "heel", "boxes": [{"image": "a.png", "box":
                  [y, x, h, w]}, …]}, …]}, image paths relative to the file's folder.`;

async function readParts(file: string): Promise<PartsFile> {
  const abs = path.resolve(file);
  const text = await readFile(abs, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new AppError('NOT_FOUND', `${abs}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`, { file: abs });
  });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new AppError('INVALID_ARGUMENT', `${abs}: not JSON (${(e as Error).message})`, { file: abs });
  }
  return readPartsFile(value, abs);
}

function table(r: CorrespondenceResult): string {
  const width = Math.max(8, ...r.parts.map((p) => p.name.length), 'random ×'.length + String(r.random.draws).length);
  const col = (s: string) => s.padStart(Math.max(18, ...r.layers.map((l) => Math.min(l.length, 24))));
  const head = ['part'.padEnd(width), '  n', ...r.layers.map((l) => col(l.length > 24 ? `…${l.slice(-23)}` : l))].join(' ');
  const rows = r.parts.map((p) => [p.name.padEnd(width), String(p.images).padStart(3), ...r.layers.map((l) => col(p.delta[l].toFixed(4)))].join(' '));
  const random = r.random.draws
    ? [[`random ×${r.random.draws}`.padEnd(width), '   ', ...r.layers.map((l) => col(`${r.random.delta[l].mean.toFixed(4)} ± ${r.random.delta[l].std.toFixed(4)}`))].join(' ')]
    : [];
  return [head, ...rows, ...random, `Δ: share of features whose sign of change differs, mean over pairs of images (lower: the layer ties the part). seed ${r.random.seed}`].join('\n');
}

async function correspondence(argv: string[]): Promise<void> {
  const values = parse(argv, { ...common, parts: { type: 'string' }, layers: { type: 'string' }, random: { type: 'string' }, seed: { type: 'string' } });
  if (values.help) return void console.log(USAGE);
  const partsFile = required(values, 'parts');
  const draws = intOption(values, 'random', 0);
  checkInt('correspondence', 'random', draws, 0, 1000);
  const seed = intOption(values, 'seed', 0);
  checkInt('correspondence', 'seed', seed, 0, LIMITS.seed);
  const { parts } = await readParts(partsFile);
  const folder = path.dirname(path.resolve(partsFile));
  const asked = typeof values.layers === 'string' ? values.layers.split(',').map((s) => s.trim()).filter(Boolean) : null;
  const layersOf = (all: readonly Pick<LayerInfo, 'id' | 'op' | 'kind'>[]) => asked ?? defaultCorrespondenceLayers(all);
  const modelName = path.basename(required(values, 'model'));
  // The one copy loaded outputs just the layers read.
  const reads: OpenOptions['rewrite'] = (g) => ({ kind: 'outputs', tensors: correspondenceTensors(g.layers, layersOf(g.layers), modelName) });
  await withModel(values, async (m) => {
    const line = progressLine('inputs');
    const load = async (image: string) => preprocess(await decodeImage(path.resolve(folder, image), { channels: m.info.input.channels }), m.info.preprocessing);
    const r = await runCorrespondence(m, parts, load, {
      layers: layersOf(m.info.layers), draws, seed, onProgress: line && ((d, t) => line.update(d, t)),
    }).finally(() => line?.end());
    print(Boolean(values.json), { layers: r.layers, parts: r.parts, random: r.random, model: m.info.path, ms: r.ms }, () => table(r));
  }, reads);
}

export const correspondenceGroup: CommandGroup = { usage: USAGE, commands: { correspondence } };
