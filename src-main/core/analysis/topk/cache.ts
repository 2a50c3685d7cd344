// The scan cache on disk: one JSON file per (model content, layer, k, preprocessing, folder), holding
// the layer's state and the listing (paths + mtimes) it covers, so reopening is instant and added
// images are scanned incrementally. Location: $CONVSCOPE_CACHE_DIR, else $XDG_CACHE_HOME/convscope,
// else ~/.cache/convscope.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Preprocessing } from '../../../common/types.ts';
import type { ScanLayer } from './layers.ts';
import { fromStored, toStored, type LayerTopkState, type ListedImage } from './state.ts';

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CONVSCOPE_CACHE_DIR) return path.resolve(env.CONVSCOPE_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return path.join(path.resolve(env.XDG_CACHE_HOME), 'convscope');
  return path.join(os.homedir(), '.cache', 'convscope');
}

const hashes = new Map<string, string>();

/** sha256 of the model file; remembered per (path, mtime, size) so a big model is hashed once. */
export async function modelContentHash(file: string): Promise<string> {
  const st = await stat(file);
  const key = `${file}|${st.mtimeMs}|${st.size}`;
  const known = hashes.get(key);
  if (known) return known;
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  const hex = h.digest('hex');
  hashes.set(key, hex);
  return hex;
}

/** The listing with mtimes (the folder listing itself only reads directories). */
export async function listWithMtimes(root: string, paths: readonly string[], signal?: AbortSignal): Promise<ListedImage[]> {
  const out: ListedImage[] = new Array(paths.length);
  let next = 0;
  // A few stats in flight: enough to hide latency, not enough to flood the libuv pool.
  const worker = async () => {
    while (next < paths.length) {
      signal?.throwIfAborted();
      const i = next++;
      const st = await stat(path.join(root, paths[i])).catch(() => null);
      out[i] = { path: paths[i], mtimeMs: st ? st.mtimeMs : -1 };
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, paths.length) }, worker));
  return out;
}

export interface CacheKey {
  modelHash: string;
  layer: ScanLayer;
  k: number;
  preprocessing: Preprocessing;
  folder: string;
}

export function cacheFile(dir: string, key: CacheKey): string {
  const id = createHash('sha256')
    .update(JSON.stringify([key.modelHash, key.layer.tensor, key.k, key.preprocessing, key.folder]))
    .digest('hex')
    .slice(0, 40);
  return path.join(dir, 'topk', `${id}.json`);
}

/** The cached state, or null (none, or one that does not fit: it is then simply rebuilt). */
export async function loadState(dir: string, key: CacheKey): Promise<LayerTopkState | null> {
  try {
    return fromStored(JSON.parse(await readFile(cacheFile(dir, key), 'utf8')), key.layer, key.k);
  } catch {
    return null;
  }
}

/** Written to a temporary file and renamed, so a crash never leaves half a cache file. */
export async function saveState(dir: string, key: CacheKey, s: LayerTopkState): Promise<void> {
  const file = cacheFile(dir, key);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, JSON.stringify(toStored(s)));
  await rename(tmp, file);
}
