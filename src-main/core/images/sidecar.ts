// The sidecar `<model>.convscope.json` (DESIGN §2): preprocessing and labels, edited in the app or
// by hand. Opening a model writes nothing: without a sidecar the defaults are *assumed* (and the
// app says so) until the user saves them. A save writes beside the model; where that folder cannot
// be written (a mounted share, a system folder) it goes to Convscope's cache folder instead, and
// both places are read on open, the one beside the model first.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Preprocessing } from '../../common/types.ts';
import { cacheDir } from './app-dirs.ts';
import { ImageError, errnoCode, errorMessage } from './errors.ts';
import { resolveLabels } from './labels.ts';
import { channelCount, defaultPreprocessing, type InputLayout } from './preprocess.ts';

export function sidecarPath(modelPath: string): string {
  const dir = path.dirname(modelPath);
  const base = path.basename(modelPath).replace(/\.onnx$/i, '');
  return path.join(dir, `${base}.convscope.json`);
}

/** Where a model's sidecar goes when its own folder cannot be written: named by the model and a hash of its full path. */
export function cachedSidecarPath(modelPath: string, dir = path.join(cacheDir(), 'sidecars')): string {
  const abs = path.resolve(modelPath);
  const base = path.basename(abs).replace(/\.onnx$/i, '');
  return path.join(dir, `${base}-${createHash('sha256').update(abs).digest('hex').slice(0, 12)}.convscope.json`);
}

export interface SidecarOptions {
  /** The folder of sidecars kept for models whose folder is read-only; default <cacheDir>/sidecars. */
  sidecarDir?: string;
  /** The model's input layout (default NCHW): the sidecar states it, and must agree. */
  layout?: InputLayout;
}

/** What a sidecar is checked against: the model's channels, input size (null: dynamic) and layout (default NCHW). */
export interface SidecarModel {
  channels: 1 | 3;
  inputSize: [number, number] | null;
  layout?: InputLayout;
}

export interface LoadedSidecar {
  preprocessing: Preprocessing;
  /** The file read, or, when none exists, where a save will write (beside the model). */
  path: string;
  /** True when no sidecar exists and `preprocessing` is the defaults, guessed, not confirmed by anyone. */
  assumed: boolean;
  /** Labels resolved from a label file or the inline list; null when the sidecar has none. */
  labels: string[] | null;
}

export async function loadSidecar(modelPath: string, channels: 1 | 3, inputSize: [number, number], opts: SidecarOptions = {}): Promise<LoadedSidecar> {
  for (const file of [sidecarPath(modelPath), cachedSidecarPath(modelPath, opts.sidecarDir)]) {
    const loaded = await readSidecarFile(file, modelPath, channels, inputSize, opts.layout);
    if (loaded) return loaded;
  }
  return { preprocessing: defaultPreprocessing(channels, inputSize, opts.layout), path: sidecarPath(modelPath), assumed: true, labels: null };
}

/** Reads and checks one sidecar file of `modelPath`; null when it does not exist. */
export async function readSidecarFile(file: string, modelPath: string, channels: 1 | 3, inputSize: [number, number], layout: InputLayout = 'NCHW'): Promise<LoadedSidecar | null> {
  const name = path.basename(file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new ImageError('SIDECAR_INVALID', `${name} could not be read: ${code ?? errorMessage(err)}`, file);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ImageError('SIDECAR_INVALID', `${name} is not valid JSON: ${errorMessage(err)}`, file);
  }
  const preprocessing = validatePreprocessing(value, channels, inputSize, file, layout);
  // A label file named in a sidecar is beside the model, wherever the sidecar itself is kept.
  const labels = await resolveLabels(preprocessing.labels, path.join(path.dirname(modelPath), name));
  return { preprocessing, path: file, assumed: false, labels };
}

/**
 * Saves the preprocessing the user confirmed: to `file` (the sidecar the model has, or the place
 * beside it); when that cannot be written, to the cache folder. Returns the file written.
 */
export async function saveModelSidecar(
  modelPath: string,
  file: string,
  p: Preprocessing,
  model: SidecarModel,
  opts: SidecarOptions = {},
): Promise<string> {
  try {
    await saveSidecar(file, p, model);
    return file;
  } catch (err) {
    const cached = cachedSidecarPath(modelPath, opts.sidecarDir);
    // Only a failed write moves on (a validation error has no errno); the cache folder is the last resort.
    if (!(err instanceof ImageError) || err.details?.errno === undefined || file === cached) throw err;
    try {
      await mkdir(path.dirname(cached), { recursive: true });
    } catch {
      throw err;
    }
    await saveSidecar(cached, p, model);
    return cached;
  }
}

/**
 * Checks a parsed sidecar against the model and returns a clean Preprocessing (unknown keys
 * dropped; they stay in the file, see saveSidecar). A missing field takes its default, so a
 * hand-written `{ "labels": "labels.txt" }` is a valid sidecar; a field that is present must be
 * right. `inputSize` null means the model's spatial size is dynamic: any positive size is accepted
 * (and the default needs one, so then inputSize is required). `layout` is the model's: a sidecar
 * that states another is refused, and an NHWC model's preprocessing says NHWC.
 */
export function validatePreprocessing(value: unknown, channels: 1 | 3, inputSize: [number, number] | null, file: string, layout: InputLayout = 'NCHW'): Preprocessing {
  const name = path.basename(file);
  const fail = (field: string, msg: string): never => {
    throw new ImageError('SIDECAR_INVALID', `${name}: ${msg}`, file, { field });
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('', 'expected a JSON object');
  const v = value as Record<string, unknown>;
  const plural = (n: number) => (n === 1 ? '1 channel' : `${n} channels`);

  let size: [number, number];
  if (v.inputSize === undefined) {
    if (inputSize === null) fail('inputSize', 'inputSize is required: the model\'s input size is dynamic');
    size = [inputSize![0], inputSize![1]];
  } else {
    const s = v.inputSize;
    if (!Array.isArray(s) || s.length !== 2 || !s.every((x) => Number.isInteger(x) && x > 0)) {
      fail('inputSize', `inputSize must be [H, W] with two positive integers, got ${JSON.stringify(s)}`);
    }
    size = [(s as number[])[0], (s as number[])[1]];
    if (inputSize !== null && (size[0] !== inputSize[0] || size[1] !== inputSize[1])) {
      fail('inputSize', `inputSize [${size.join(',')}] does not match the model input ${inputSize[0]}×${inputSize[1]}`);
    }
  }
  const defaults = defaultPreprocessing(channels, size);

  const ch = v.channels ?? defaults.channels;
  if (ch !== 'RGB' && ch !== 'BGR' && ch !== 'gray') fail('channels', `channels must be "RGB", "BGR" or "gray", got ${JSON.stringify(ch)}`);
  const chans = ch as Preprocessing['channels'];
  if (channelCount({ channels: chans }) !== channels) {
    fail('channels', `channels "${chans}" needs a ${channelCount({ channels: chans })}-channel model but the model has ${plural(channels)}`);
  }

  const scale = v.scale ?? defaults.scale;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0) fail('scale', `scale must be a positive number, got ${JSON.stringify(scale)}`);

  // Without an explicit mean/std the defaults of the *model's* channel count apply; a BGR sidecar
  // that omits them gets RGB-ordered ImageNet numbers reversed to match.
  const reorder = (a: number[]) => (chans === 'BGR' ? [...a].reverse() : a);
  const vector = (field: 'mean' | 'std', fallback: number[]): number[] => {
    const a = v[field] ?? reorder(fallback);
    if (!Array.isArray(a) || !a.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      fail(field, `${field} must be a list of numbers, got ${JSON.stringify(a)}`);
    }
    const nums = a as number[];
    if (nums.length !== channels) fail(field, `${field} has ${nums.length} value${nums.length === 1 ? '' : 's'} but the model has ${plural(channels)}`);
    return [...nums];
  };
  const mean = vector('mean', defaults.mean);
  const std = vector('std', defaults.std);
  const bad = std.findIndex((x) => x <= 0);
  if (bad >= 0) fail('std', `std values must be positive (std[${bad}] is ${std[bad]})`);

  const resize = v.resize ?? defaults.resize;
  if (resize !== 'stretch' && resize !== 'shorter-side+center-crop') {
    fail('resize', `resize must be "shorter-side+center-crop" or "stretch", got ${JSON.stringify(resize)}`);
  }

  const out: Preprocessing = { inputSize: size, channels: chans, scale: scale as number, mean, std, resize: resize as Preprocessing['resize'] };
  if (v.layout !== undefined && v.layout !== 'NCHW' && v.layout !== 'NHWC') fail('layout', `layout must be "NCHW" or "NHWC", got ${JSON.stringify(v.layout)}`);
  if (v.layout !== undefined && v.layout !== layout) {
    fail('layout', `layout "${v.layout as string}" does not match the model, whose input is ${layout === 'NHWC' ? 'N×H×W×C (NHWC)' : 'N×C×H×W (NCHW)'}`);
  }
  if (v.layout !== undefined || layout === 'NHWC') out.layout = layout;
  const labels = v.labels;
  if (labels !== undefined) {
    if (typeof labels === 'string') {
      if (labels.trim() === '') fail('labels', 'labels must be a label file name or a list of labels, got an empty string');
      out.labels = labels;
    } else if (Array.isArray(labels) && labels.every((l) => typeof l === 'string')) {
      out.labels = [...(labels as string[])];
    } else {
      fail('labels', 'labels must be a label file name or a list of strings');
    }
  }
  return out;
}

/**
 * Validates `p` (against `model` when given, else against itself) and writes it as pretty JSON,
 * atomically: a crash mid-write leaves the old file, never half a file. Keys of the existing file
 * that Preprocessing does not know (notes, settings of later versions) are kept.
 */
export async function saveSidecar(file: string, p: Preprocessing, model?: SidecarModel): Promise<void> {
  const checked = validatePreprocessing(p, model?.channels ?? channelCount(p), model ? model.inputSize : p.inputSize, file, model ? model.layout : p.layout);
  let existing: Record<string, unknown> = {};
  try {
    const old: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (typeof old === 'object' && old !== null && !Array.isArray(old)) existing = old as Record<string, unknown>;
  } catch {
    // No file yet, or one so broken that there is nothing to keep.
  }
  try {
    await writeJsonAtomic(file, toSidecarJson(checked, existing));
  } catch (err) {
    throw new ImageError('SIDECAR_INVALID', `${path.basename(file)} could not be written: ${errnoCode(err) ?? errorMessage(err)}`, file, { errno: errnoCode(err) });
  }
}

const KNOWN_KEYS = ['inputSize', 'channels', 'scale', 'mean', 'std', 'resize', 'layout', 'labels'] as const;

function toSidecarJson(p: Preprocessing, existing: Record<string, unknown>): string {
  // Existing keys keep their place; known keys come in DESIGN's order when new.
  const merged: Record<string, unknown> = { ...existing };
  for (const k of KNOWN_KEYS) {
    if (p[k] === undefined) delete merged[k];
    else merged[k] = p[k];
  }
  return `${compactNumberLists(JSON.stringify(merged, null, 2))}\n`;
}

/**
 * `"mean": [0.485, 0.456, 0.406]` on one line instead of five, for people editing the file.
 * Only lists that span lines are touched; JSON strings cannot hold a raw newline, so string
 * contents never match.
 */
function compactNumberLists(json: string): string {
  return json.replace(/\[\n\s*(-?[\d.eE+-]+(?:,\n\s*-?[\d.eE+-]+)*)\n\s*\]/g, (_m, items: string) => `[${items.split(/,\n\s*/).join(', ')}]`);
}

async function writeJsonAtomic(file: string, text: string): Promise<void> {
  // Same folder as the target, so the rename stays on one file system and is atomic.
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, text, 'utf8');
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}
