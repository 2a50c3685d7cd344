// A set of training checkpoints of one architecture (DESIGN §3 "Feature evolution"): which files,
// in which order, and whether they really are one architecture. Ordering needs only file names, so
// it is a plain function any analysis can call before opening anything (evolution, probes).
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../common/errors.ts';
import { quoted, truncateText } from '../../common/text.ts';
import { compareNatural } from '../images/folder.ts';

export interface CheckpointFile {
  /** Absolute path of the .onnx file. */
  file: string;
  /** Its file name. */
  name: string;
  /** The epoch number in its file name, or null when the name has none (a final export, say). */
  epoch: number | null;
}

/**
 * The epoch number a file name carries: the number after "epoch", "ep" or "e" (`epoch-05`,
 * `model_ep10`, `epoch=3-step=100`), else the last number in the name (`ckpt-0007`), else null.
 */
export function epochOf(fileName: string): number | null {
  const stem = fileName.replace(/\.onnx$/i, '');
  const named = /(?:^|[^a-z])(?:epoch|ep|e)[-_=. ]?(\d+)/i.exec(stem);
  if (named) return Number(named[1]);
  const numbers = stem.match(/\d+/g);
  return numbers ? Number(numbers[numbers.length - 1]) : null;
}

/** By epoch; names without one after those with one; ties by name in natural order. */
export function compareCheckpoints(a: Pick<CheckpointFile, 'name' | 'epoch'>, b: Pick<CheckpointFile, 'name' | 'epoch'>): number {
  if (a.epoch !== null && b.epoch !== null && a.epoch !== b.epoch) return a.epoch - b.epoch;
  if ((a.epoch === null) !== (b.epoch === null)) return a.epoch === null ? 1 : -1;
  return compareNatural(a.name, b.name);
}

/**
 * The checkpoints named by `sources`: each a folder (its `.onnx` files, not recursing) or a file,
 * ordered by epoch (compareCheckpoints). A file named twice counts once. Fails naming the source
 * that does not exist, is not an .onnx file, or a folder that holds none.
 */
export async function listCheckpoints(sources: string | readonly string[]): Promise<CheckpointFile[]> {
  const list = typeof sources === 'string' ? [sources] : sources;
  if (list.length === 0) throw new AppError('NOT_FOUND', 'no checkpoint given: name a folder of .onnx files or the files');
  const files = new Set<string>();
  for (const source of list) {
    const abs = path.resolve(source);
    const st = await stat(abs).catch(() => null);
    if (!st) throw new AppError('MODEL_READ_FAILED', `${truncateText(abs)}: no such file or folder`, { file: abs });
    if (st.isDirectory()) {
      const names = (await readdir(abs, { withFileTypes: true })).filter((d) => !d.name.startsWith('.') && /\.onnx$/i.test(d.name) && (d.isFile() || d.isSymbolicLink()));
      if (names.length === 0) throw new AppError('MODEL_READ_FAILED', `${truncateText(abs)} holds no .onnx file`, { file: abs });
      for (const d of names) files.add(path.join(abs, d.name));
    } else {
      if (!/\.onnx$/i.test(abs)) throw new AppError('MODEL_READ_FAILED', `${truncateText(abs)} is not an .onnx file`, { file: abs });
      files.add(abs);
    }
  }
  return [...files].map((file) => ({ file, name: path.basename(file), epoch: epochOf(path.basename(file)) })).sort(compareCheckpoints);
}

/** What two checkpoints must share: the input and every layer's id and measured shape, in spine order. */
export interface CheckpointArchitecture {
  name: string;
  input: { channels: number; height: number; width: number };
  layers: readonly { id: string; shape: readonly number[] }[];
}

/** Where `b` differs from `a`, in words naming the layer; null when they are one architecture. */
export function architectureDifference(a: CheckpointArchitecture, b: CheckpointArchitecture): { layer: string | null; message: string } | null {
  const dims = (i: CheckpointArchitecture['input']) => `${i.channels}×${i.height}×${i.width}`;
  if (dims(a.input) !== dims(b.input)) return { layer: null, message: `its input is ${dims(b.input)}, not ${dims(a.input)}` };
  const n = Math.max(a.layers.length, b.layers.length);
  for (let i = 0; i < n; i++) {
    const la = a.layers[i];
    const lb = b.layers[i];
    if (!lb) return { layer: la.id, message: `it has no layer ${quoted(la.id)}` };
    if (!la) return { layer: lb.id, message: `its layer ${quoted(lb.id)} is not in ${a.name}` };
    if (la.id !== lb.id) return { layer: la.id, message: `layer ${i + 1} is ${quoted(lb.id)}, not ${quoted(la.id)}` };
    if (la.shape.join() !== lb.shape.join()) return { layer: la.id, message: `layer ${quoted(la.id)} is [${lb.shape.join('×')}], not [${la.shape.join('×')}]` };
  }
  return null;
}

/** Throws, naming the first checkpoint and layer that differ from the first checkpoint. */
export function checkSameArchitecture(models: readonly CheckpointArchitecture[]): void {
  const [first, ...rest] = models;
  for (const m of rest) {
    const d = architectureDifference(first, m);
    if (d) {
      throw new AppError('MODEL_UNSUPPORTED', `checkpoints must share one architecture: ${m.name} differs from ${first.name}: ${d.message}`, { file: m.name, layer: d.layer });
    }
  }
}

/** A run's way to open and close the sessions of a checkpoint set. */
export interface CheckpointOpening<M> {
  open: (c: CheckpointFile) => Promise<M>;
  /** Called once per session opened, when the run is done with it. */
  close?: (m: M) => Promise<void>;
  /** Checkpoints checked so far, of all. */
  onChecked?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/**
 * Opens a set's checkpoints one at a time and compares each with the first (checkSameArchitecture),
 * closing each again but the first: a mismatch fails before any image is read, and at most two
 * sessions are open at once however many checkpoints the set has (a run opens each again when its
 * turn comes; a 250 MB model opens in well under a second). Returns the first's session, open.
 */
export async function checkCheckpointSet<M extends { info: CheckpointArchitecture }>(checkpoints: readonly CheckpointFile[], o: CheckpointOpening<M>): Promise<M> {
  if (checkpoints.length === 0) throw new AppError('NOT_FOUND', 'no checkpoint in the set');
  o.onChecked?.(0, checkpoints.length);
  o.signal?.throwIfAborted();
  const first = await o.open(checkpoints[0]);
  try {
    o.onChecked?.(1, checkpoints.length);
    for (const [i, c] of checkpoints.slice(1).entries()) {
      o.signal?.throwIfAborted();
      const m = await o.open(c);
      try {
        checkSameArchitecture([first.info, m.info]);
      } finally {
        await o.close?.(m).catch(() => {});
      }
      o.onChecked?.(i + 2, checkpoints.length);
    }
  } catch (e) {
    await o.close?.(first).catch(() => {});
    throw e;
  }
  return first;
}
