// Serves the renderer build (public code) and nothing else: '..', NUL bytes and symlinks leading out
// of it are refused.
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import { isInside } from '../core/service/paths.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

export type ServeResult = 'served' | 'forbidden' | 'not-found';

/** `rel` is a decoded URL path below `root`. Symlinks are followed and must stay inside `root`. */
export async function serveFile(res: ServerResponse, root: string, rel: string, headers: Record<string, string>): Promise<ServeResult> {
  if (rel.includes('\0')) return 'forbidden';
  const realRoot = await realpath(root).catch(() => null);
  if (!realRoot) return 'not-found';
  const target = path.resolve(realRoot, '.' + path.posix.normalize('/' + rel));
  // normalize('/'+rel) already removes '..' above the root; the raw check catches encoded tricks.
  if (rel.split(/[\\/]/).includes('..') || !isInside(realRoot, target)) return 'forbidden';
  let real: string;
  try {
    real = await realpath(target);
  } catch {
    return 'not-found';
  }
  if (!isInside(realRoot, real)) return 'forbidden';
  const st = await stat(real).catch(() => null);
  if (!st?.isFile()) return 'not-found';
  res.writeHead(200, {
    ...headers,
    'content-type': TYPES[path.extname(real).toLowerCase()] ?? 'application/octet-stream',
    'content-length': String(st.size),
  });
  // pipeline closes the file when the client goes away mid-response (a plain pipe would keep the
  // descriptor open); by then the headers are out and both ends are destroyed, so nothing is left to answer.
  await pipeline(createReadStream(real), res).catch(() => {});
  return 'served';
}
