// The scan cache on disk: one JSON file per (model content, layer, k, preprocessing, folder), holding
// the layer's state and the images (paths + file signatures) it covers, so reopening is instant,
// added images are scanned incrementally and a stopped scan resumes. Location: $CONVSCOPE_CACHE_DIR,
// else $XDG_CACHE_HOME/convscope, else ~/.cache/convscope.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Preprocessing } from '../../../common/types.ts';
import type { ScanLayer } from './layers.ts';
import type { LayerTopkState } from './state.ts';
import { fromStored, toStored } from './stored.ts';

export { cacheDir } from '../../images/app-dirs.ts';

const hashes = new Map<string, Promise<string>>();

/**
 * sha256 of the model file; remembered per (path, mtime, size) so a big model is hashed once (a
 * hash under way is shared: the app starts one when a model opens, so a scan finds it done).
 */
export async function modelContentHash(file: string): Promise<string> {
  const st = await stat(file);
  const key = `${file}|${st.mtimeMs}|${st.size}`;
  let known = hashes.get(key);
  if (!known) {
    known = (async () => {
      const h = createHash('sha256');
      for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
      return h.digest('hex');
    })();
    hashes.set(key, known);
    known.catch(() => hashes.delete(key));
  }
  return known;
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

/**
 * A temporary file older than this is an orphan (its writer was killed between writing and
 * renaming). A live write takes milliseconds, so the margin only protects a writer in another
 * process that is paused, e.g. in a debugger or on a machine that is swapping.
 */
export const ORPHAN_AGE_MS = 10 * 60_000;
/** A folder is swept at most this often per process: a checkpoint every few seconds need not list it each time. */
const SWEEP_EVERY_MS = 60_000;
const swept = new Map<string, number>();

/** Removes the `.tmp` files of the cache's top-k folder older than `ORPHAN_AGE_MS`; returns how many. */
export async function sweepOrphans(dir: string, now = Date.now()): Promise<number> {
  const folder = path.join(dir, 'topk');
  const names = await readdir(folder).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    if (!name.endsWith('.tmp')) continue;
    const file = path.join(folder, name);
    const st = await lstat(file).catch(() => null);
    if (st?.isFile() && now - st.mtimeMs > ORPHAN_AGE_MS && (await rm(file).then(() => true, () => false))) removed++;
  }
  return removed;
}

function sweepNow(dir: string): Promise<unknown> {
  const last = swept.get(dir) ?? -Infinity;
  if (Date.now() - last < SWEEP_EVERY_MS) return Promise.resolve();
  swept.set(dir, Date.now());
  return sweepOrphans(dir).catch(() => {});
}

/** The cached state; or null and why not (`problem` null: there is no file; `outdated`: written by another version). */
export type LoadedState = { state: LayerTopkState; problem: null } | { state: null; problem: string | null; outdated: boolean };

export async function loadState(dir: string, key: CacheKey): Promise<LoadedState> {
  await sweepNow(dir);
  const file = cacheFile(dir, key);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: null, problem: null, outdated: false };
    return { state: null, problem: code === 'EISDIR' ? `${file} is a folder` : `${file}: ${code ?? (e as Error).message}`, outdated: false };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { state: null, problem: 'not JSON (a damaged file)', outdated: false };
  }
  const r = fromStored(raw, { modelHash: key.modelHash, folder: key.folder, layer: key.layer, k: key.k });
  return r.state ? { state: r.state, problem: null } : r;
}

/**
 * Written to a temporary file beside the target, flushed, and renamed over it, so no crash or
 * kill leaves half a cache file. On any failure the temporary file is removed (a target that is a
 * folder, a full disk) and the error thrown. Returns false when the state cannot be stored (a
 * model that produced NaN or ±Infinity): it is then rescanned next time.
 */
export async function saveState(dir: string, key: CacheKey, s: LayerTopkState): Promise<boolean> {
  const stored = toStored(s, { modelHash: key.modelHash, folder: key.folder, layer: key.layer, k: key.k });
  if (!stored) return false;
  const file = cacheFile(dir, key);
  await mkdir(path.dirname(file), { recursive: true });
  await sweepNow(dir);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(JSON.stringify(stored));
      // Without the flush a power cut after the rename can leave an empty file under the new name.
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
  return true;
}
