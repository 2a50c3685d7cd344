// What the runtime process knows of the model files it opened: the key naming a file's content as
// it was opened (a file changed since is refused), and each file's graph with its weights as
// references into it (onnx/weights-by-reference.ts), from which copies are made without reading it.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../common/errors.ts';
import type { ModelByReference } from '../onnx/index.ts';
import type { ModelSource } from './protocol.ts';

/** The key naming the file's content as `source` saw it; refuses a file gone or changed since. */
export async function fileKeyOf(source: ModelSource): Promise<string> {
  const st = await stat(source.file).catch(() => null);
  const name = path.basename(source.file);
  if (!st) throw new AppError('MODEL_READ_FAILED', `${name}: the file is gone (${source.file})`, { file: source.file });
  if (st.mtimeMs !== source.mtimeMs || st.size !== source.size) {
    throw new AppError('MODEL_READ_FAILED', `${name} changed on disk since it was opened; open it again`, { file: source.file });
  }
  return `${source.file}|${st.mtimeMs}|${st.size}`;
}

/**
 * Opened files' models with their weights as references into the file, by file key: the copies an
 * analysis loads of an open model are made from it without reading the file again. A few kilobytes
 * each (the graph and its small constants); the last few files are kept.
 */
export const byReference = new Map<string, ModelByReference>();
const BY_REFERENCE_KEEP = 4;

export function keepByReference(fileKey: string, m: ModelByReference | null): void {
  byReference.delete(fileKey);
  if (!m) return;
  byReference.set(fileKey, m);
  for (const k of byReference.keys()) if (byReference.size > BY_REFERENCE_KEEP) byReference.delete(k);
}
