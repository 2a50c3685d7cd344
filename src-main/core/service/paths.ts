// Every path a client names is resolved inside a root the user opened; nothing else is reachable.
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../common/errors.ts';
import { truncateText } from '../../common/text.ts';

export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Resolves `rel` (relative to `root`) following symlinks; refuses anything that ends up outside. */
export async function resolveInside(root: string, rel: string): Promise<string> {
  if (rel.includes('\0')) throw new AppError('FORBIDDEN', 'invalid path');
  const realRoot = await realpath(root);
  const joined = path.resolve(realRoot, rel);
  if (!isInside(realRoot, joined)) throw new AppError('FORBIDDEN', `${truncateText(rel)} is outside the opened folder`);
  let real: string;
  try {
    real = await realpath(joined);
  } catch {
    throw new AppError('NOT_FOUND', `${truncateText(rel)}: no such file in ${root}`);
  }
  if (!isInside(realRoot, real)) throw new AppError('FORBIDDEN', `${truncateText(rel)} links outside the opened folder`);
  return real;
}
