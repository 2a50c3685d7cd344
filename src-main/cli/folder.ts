// Image folders as every command reads them (topk, spectra --images, invariance, consistency): a
// file left out, whether by the listing (not an image, unreadable) or because it did not decode, is
// never silent. Each is named on stderr and listed in the JSON as `skipped: [{path, reason}]`; a
// run that could read no image at all fails (exit 1) instead of reporting on 0 images; and
// --strict makes any skip a failure, for pipelines that must see every image.
import path from 'node:path';
import { AppError } from '../common/errors.ts';
import type { ImageEntry, SkippedFile } from '../common/types.ts';
import { listImageFolder } from '../core/images/index.ts';

export const strictOption = { strict: { type: 'boolean' } } as const;

/** The option's help, aligned with the commands' own option texts. */
export const STRICT_HELP = `  --strict  exit 1 when any file is skipped. Skipped files (not an image, unreadable, not decoding)
            are always named on stderr and in the JSON as skipped: [{path, reason}].`;

/** The files a command left out, named once on stderr when it ends. */
export class SkipReport {
  private readonly items: SkippedFile[] = [];

  constructor(
    /** The folder (or, for single files, the inputs) the paths belong to, for messages. */
    readonly source: string,
    readonly strict: boolean,
  ) {}

  add(...skipped: SkippedFile[]): void {
    this.items.push(...skipped);
  }

  get list(): SkippedFile[] {
    return [...this.items];
  }

  private name(): void {
    for (const s of this.items) process.stderr.write(`convscope: skipped ${s.path}: ${s.reason}\n`);
  }

  /**
   * Ends the report after reading `read` of `of` images: names every skip on stderr, then throws
   * when no image could be read, or under --strict when anything was skipped. Returns the list for the JSON.
   */
  finish(read: number, of: number): SkippedFile[] {
    this.name();
    if (of === 0) throw new AppError('FOLDER_EMPTY', `${this.source} contains no images${this.items.length ? ` (${this.count()} skipped)` : ''}`, { file: this.source });
    if (this.strict && this.items.length) throw new AppError('FOLDER_UNREADABLE', `--strict: ${this.count()} of ${this.source} skipped`, { file: this.source });
    if (read === 0) throw new AppError('FOLDER_EMPTY', `none of the ${of} images of ${this.source} could be read`, { file: this.source });
    return this.list;
  }

  private count(): string {
    return `${this.items.length} file${this.items.length === 1 ? '' : 's'}`;
  }
}

export interface ReadableFolder {
  root: string;
  entries: ImageEntry[];
  skips: SkipReport;
}

/**
 * Lists DIR; what the listing leaves out goes into the report (as absolute paths with `absolute`,
 * else relative to DIR, matching how the command names images). Fails here, before any work, when
 * the folder holds no image or, under --strict, when the listing skipped anything.
 */
export async function readableFolder(dir: string, strict: boolean, absolute = false): Promise<ReadableFolder> {
  const listing = await listImageFolder(path.resolve(dir));
  const skips = new SkipReport(listing.root, strict);
  skips.add(...listing.skipped.map((s) => ({ path: absolute ? path.join(listing.root, s.path) : s.path, reason: s.reason })));
  // finish() throws in both cases (no image; --strict with a skip).
  if (listing.entries.length === 0 || (strict && listing.skipped.length)) skips.finish(0, listing.entries.length);
  return { root: listing.root, entries: listing.entries, skips };
}
