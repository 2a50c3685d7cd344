// The bounded "top k images of one feature map" list (DESIGN §3 "Top-k"): one entry per image,
// best first. Ties are broken by the image's path in natural order, so the k kept images do not
// depend on the order the images were scanned in — what makes resumed and incremental scans equal
// a full scan.
import { compareNatural } from '../../images/folder.ts';

export interface TopEntry {
  /** Folder-relative path of the image. */
  image: string;
  /** (y, x) of the map's maximum (first occurrence, row-major). */
  position: [number, number];
  value: number;
}

/** Whether `a` ranks above `b`: higher value first, then the earlier path. */
export function ranksAbove(a: { value: number; image: string }, b: { value: number; image: string }): boolean {
  return a.value > b.value || (a.value === b.value && compareNatural(a.image, b.image) < 0);
}

/**
 * Offers an entry to a sorted list of at most k entries, in place. k is small (9), so a sorted array
 * with insertion beats a heap: the common case (worse than the k-th) is one comparison.
 */
export function offer(list: TopEntry[], k: number, entry: TopEntry): void {
  if (Number.isNaN(entry.value)) return;
  if (list.length >= k && !ranksAbove(entry, list[list.length - 1])) return;
  let i = list.length;
  while (i > 0 && ranksAbove(entry, list[i - 1])) i--;
  list.splice(i, 0, entry);
  if (list.length > k) list.pop();
}
