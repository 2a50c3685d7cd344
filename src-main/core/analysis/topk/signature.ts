// What identifies one version of an image file for the scan cache. An mtime alone is not enough:
// `touch -r`, `cp -p`, rsync and unpacking archives all restore an old mtime on new content. The
// ctime cannot be set by user code, so size + mtime + ctime + inode (nanoseconds, from a bigint
// stat) changes whenever the file is written, replaced or renamed over. Where the file system has
// no inode numbers (ino 0: some network and FAT file systems) the ctime is not trusted either and
// the content is hashed instead: slower (every file read on every scan), never wrong.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ListedImage } from './state.ts';

/** The signature of a file that could not be read: it matches only another unreadable read. */
export const MISSING = 'missing';

/** Every signature `imageSignature` can produce (the cache checks stored ones against it). */
export const SIGNATURE_PATTERN = /^(missing|s\d+\.m-?\d+\.c-?\d+\.i\d+|s\d+\.h[0-9a-f]{64})$/;

/** The parts of a bigint stat the signature reads. */
export type SignatureStat = Pick<import('node:fs').BigIntStats, 'size' | 'mtimeNs' | 'ctimeNs' | 'ino' | 'isFile'>;

async function contentHash(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The signature of `file` given its stat (`st` is passed in so the fallback can be tested on any file system). */
export async function signatureOf(file: string, st: SignatureStat): Promise<string> {
  if (!st.isFile()) return MISSING;
  if (st.ino === 0n || st.ctimeNs === 0n) return `s${st.size}.h${await contentHash(file)}`;
  return `s${st.size}.m${st.mtimeNs}.c${st.ctimeNs}.i${st.ino}`;
}

export async function imageSignature(file: string): Promise<string> {
  try {
    return await signatureOf(file, await stat(file, { bigint: true }));
  } catch {
    return MISSING;
  }
}

/** The listing with each image's signature (the folder listing itself only reads directories). */
export async function listSignatures(root: string, paths: readonly string[], signal?: AbortSignal): Promise<ListedImage[]> {
  const out: ListedImage[] = new Array(paths.length);
  let next = 0;
  // A few stats in flight: enough to hide latency, not enough to flood the libuv pool.
  const worker = async () => {
    while (next < paths.length) {
      signal?.throwIfAborted();
      const i = next++;
      out[i] = { path: paths[i], sig: await imageSignature(path.join(root, paths[i])) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, paths.length) }, worker));
  return out;
}
