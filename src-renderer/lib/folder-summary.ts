// What the image strip says about a folder: counts that add up. A broken image is listed (the
// folder's count includes it) until a decode fails; then it counts as skipped, not as an image.
import type { FolderInfo } from '../../src-main/common/api.ts';
import type { SkippedFile } from '../../src-main/common/types.ts';

export interface FolderSummary {
  /** Usable images: "1 image", "1,200 images". */
  imageCount: string;
  /** "1 image", "1,200 images · 3 classes". */
  images: string;
  /** "5 files skipped", or null when none. */
  skipped: string | null;
  /** Images of the listing that failed to decode. */
  unreadable: SkippedFile[];
  /** Files the listing left out: not images, links, unreadable entries. */
  others: SkippedFile[];
}

const plural = (n: number, one: string, many: string) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

export function folderSummary(folder: Pick<FolderInfo, 'count' | 'classes' | 'skipped'>): FolderSummary {
  const unreadable = folder.skipped.filter((s) => s.unreadable);
  const others = folder.skipped.filter((s) => !s.unreadable);
  const usable = Math.max(0, folder.count - unreadable.length);
  const classes = folder.classes.length ? ` · ${plural(folder.classes.length, 'class', 'classes')}` : '';
  const imageCount = plural(usable, 'image', 'images');
  return {
    imageCount,
    images: `${imageCount}${classes}`,
    skipped: folder.skipped.length ? `${plural(folder.skipped.length, 'file', 'files')} skipped` : null,
    unreadable,
    others,
  };
}
