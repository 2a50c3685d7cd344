// Lists an image folder by the ImageFolder convention (DESIGN §2) without opening a single image:
// scans of 10,000-image folders start from this listing, so it must cost only directory reads.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ImageEntry, SkippedFile } from '../../common/types.ts';
import { truncateText } from '../../common/text.ts';
import { ImageError, errnoCode } from './errors.ts';

export interface FolderListing {
  /** The folder as given, resolved to an absolute path. */
  root: string;
  entries: ImageEntry[];
  /** Names of the first-level sub-folders that hold at least one image, in natural order. */
  classes: string[];
  skipped: SkippedFile[];
}

/**
 * Extensions sharp decodes in this build (checked against `sharp.format`: jpeg, png, webp, gif,
 * tiff and heif-for-avif all have file input). Matched case-insensitively.
 */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  '.png', '.jpg', '.jpeg', '.jpe', '.jfif', '.webp', '.gif', '.tif', '.tiff', '.avif',
]);

/** Image formats people will drop in a folder that this sharp build cannot decode; named so the skip reason is not "not an image". */
const UNSUPPORTED_IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  '.bmp', '.heic', '.heif', '.jxl', '.jp2', '.svg', '.ppm', '.pgm', '.pbm', '.ico', '.psd', '.raw', '.dng', '.cr2', '.nef',
]);

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Natural order ("img2" before "img10"), compared folder by folder so a folder's images stay together; a total order, so listings are stable. */
export function compareNatural(a: string, b: string): number {
  const as = a.split('/');
  const bs = b.split('/');
  const n = Math.min(as.length, bs.length);
  for (let i = 0; i < n; i++) {
    // Code points break ties per segment, so folders "A" and "a" do not interleave.
    const c = collator.compare(as[i], bs[i]) || (as[i] < bs[i] ? -1 : as[i] > bs[i] ? 1 : 0);
    if (c !== 0) return c;
  }
  return as.length - bs.length;
}

export async function listImageFolder(root: string, opts: { signal?: AbortSignal } = {}): Promise<FolderListing> {
  const { signal } = opts;
  const absRoot = path.resolve(root);
  let rootStat;
  try {
    rootStat = await stat(absRoot);
  } catch (err) {
    throw folderError(err, absRoot);
  }
  if (!rootStat.isDirectory()) {
    throw new ImageError('FOLDER_NOT_FOUND', `${truncateText(absRoot)} is not a folder`, absRoot);
  }

  const entries: ImageEntry[] = [];
  const skipped: SkippedFile[] = [];
  // Symlinked folders are followed; remembering (dev, ino) of every folder entered stops cycles.
  const visited = new Set<string>([`${rootStat.dev}:${rootStat.ino}`]);
  // Depth-first with an explicit stack: no recursion limit on deep trees, one readdir at a time
  // (parallel readdirs gain little on one disk and would make abort and ordering harder).
  const stack: string[] = [''];
  while (stack.length > 0) {
    signal?.throwIfAborted();
    const rel = stack.pop()!;
    const dir = rel === '' ? absRoot : path.join(absRoot, rel);
    let dirents;
    try {
      dirents = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (rel === '') throw folderError(err, absRoot);
      // One unreadable sub-folder should not hide the rest of the data set.
      skipped.push({ path: rel, reason: `folder could not be read (${errnoCode(err) ?? 'error'})` });
      continue;
    }
    for (const d of dirents) {
      if (d.name.startsWith('.')) continue;
      const relPath = rel === '' ? d.name : `${rel}/${d.name}`;
      let isDir = d.isDirectory();
      let isFile = d.isFile();
      if (d.isSymbolicLink() || (!isDir && !isFile && !d.isFIFO() && !d.isSocket())) {
        // Symlinks, and file systems that report no type, need a stat to tell files from folders.
        // Plain folders skip it: without links they cannot form cycles, and the listing stays at directory reads.
        try {
          const s = await stat(path.join(dir, d.name));
          isDir = s.isDirectory();
          isFile = s.isFile();
          if (isDir) {
            const key = `${s.dev}:${s.ino}`;
            if (visited.has(key)) continue;
            visited.add(key);
          }
        } catch {
          skipped.push({ path: relPath, reason: 'broken link or unreadable entry' });
          continue;
        }
      }
      if (isDir) {
        stack.push(relPath);
      } else if (isFile) {
        const reason = skipReason(d.name);
        if (reason) {
          skipped.push({ path: relPath, reason });
        } else {
          const slash = relPath.indexOf('/');
          entries.push({ path: relPath, className: slash < 0 ? null : relPath.slice(0, slash) });
        }
      } else {
        skipped.push({ path: relPath, reason: 'not a regular file' });
      }
    }
  }

  entries.sort((a, b) => compareNatural(a.path, b.path));
  skipped.sort((a, b) => compareNatural(a.path, b.path));
  const classes = [...new Set(entries.map((e) => e.className).filter((c): c is string => c !== null))].sort(compareNatural);
  return { root: absRoot, entries, classes, skipped };
}

/** Why a file is not listed as an image, or null if it is one. Decided by extension only: listing must not open files. */
export function skipReason(name: string): string | null {
  const ext = path.extname(name).toLowerCase();
  if (IMAGE_EXTENSIONS.has(ext)) return null;
  if (ext === '') return 'not an image (no extension)';
  if (UNSUPPORTED_IMAGE_EXTENSIONS.has(ext)) return `unsupported image format (${ext})`;
  return `not an image (${ext})`;
}

function folderError(err: unknown, folder: string): ImageError {
  const code = errnoCode(err);
  if (code === 'ENOENT') return new ImageError('FOLDER_NOT_FOUND', `Folder not found: ${truncateText(folder)}`, folder);
  if (code === 'ENOTDIR') return new ImageError('FOLDER_NOT_FOUND', `${truncateText(folder)} is not a folder`, folder);
  const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (code ?? String(err));
  return new ImageError('FOLDER_UNREADABLE', `Folder ${truncateText(folder)} could not be read: ${why}`, folder, { errno: code });
}
