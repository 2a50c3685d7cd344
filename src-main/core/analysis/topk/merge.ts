// Merging top-k scans of disjoint sets of images (shards of a folder scanned on several machines).
// A part is what a shard's scan of one layer leaves: per map the k best of its images, how many of
// them fired the map and the sum of their maxima, plus the images that failed. Per map the k best of
// the union are among the parts' k best, and with the tie rule of top-list.ts (value, then path) the
// order is total, so merging parts in any order and any grouping gives the list a local scan keeps;
// firing counts, sums and counts add. Parts travel as JSON (a queue's return values).
import { ranksAbove, type TopEntry } from './top-list.ts';
import type { LayerTopkState, ListedImage } from './state.ts';

/** [image, y, x, value]: an entry in the compact form the cache uses too. */
export type PartEntry = [string, number, number, number];

export interface TopkPart {
  /** The tensor read (a part of another tensor cannot be merged in). */
  tensor: string;
  k: number;
  /** Images counted (failures excluded). */
  count: number;
  fired: number[];
  /** Per map Σ of the maxima; JSON turns a NaN into null, read back as NaN. */
  sumMax: (number | null)[];
  /** Per map the k best, best first. */
  top: PartEntry[][];
  /** [path, reason] of the images that failed to load. */
  failed: [string, string][];
}

export function emptyPart(tensor: string, k: number, maps: number): TopkPart {
  return { tensor, k, count: 0, fired: new Array<number>(maps).fill(0), sumMax: new Array<number>(maps).fill(0), top: Array.from({ length: maps }, () => []), failed: [] };
}

/** The part a state holds (a shard's scan, or a cached state to merge shards into). */
export function partOf(s: LayerTopkState): TopkPart {
  return {
    tensor: s.tensor,
    k: s.k,
    count: s.count,
    fired: Array.from(s.fired),
    sumMax: Array.from(s.sumMax),
    top: s.top.map((list) => list.map((e) => [e.image, e.position[0], e.position[1], e.value] as PartEntry)),
    failed: [...s.failed],
  };
}

const entry = (e: PartEntry) => ({ image: e[0], value: e[3] });

/** The k best of two lists each sorted best first (the lists hold different images). */
export function mergeLists(a: readonly PartEntry[], b: readonly PartEntry[], k: number): PartEntry[] {
  const out: PartEntry[] = [];
  let i = 0;
  let j = 0;
  while (out.length < k && (i < a.length || j < b.length)) {
    if (j >= b.length || (i < a.length && ranksAbove(entry(a[i]), entry(b[j])))) out.push(a[i++]);
    else out.push(b[j++]);
  }
  return out;
}

type Shape = Pick<TopkPart, 'tensor' | 'k'> & { maps: number };

function check(a: Shape, b: TopkPart): void {
  if (a.tensor !== b.tensor || a.k !== b.k || a.maps !== b.fired.length) {
    throw new Error(`cannot merge a scan of ${b.tensor} (k=${b.k}, ${b.fired.length} maps) into one of ${a.tensor} (k=${a.k}, ${a.maps} maps)`);
  }
}

const sum = (x: number | null, y: number | null) => (x ?? NaN) + (y ?? NaN);

/** The part of the union of two disjoint parts' images. */
export function mergeParts(a: TopkPart, b: TopkPart): TopkPart {
  check({ tensor: a.tensor, k: a.k, maps: a.fired.length }, b);
  return {
    tensor: a.tensor,
    k: a.k,
    count: a.count + b.count,
    fired: a.fired.map((f, c) => f + b.fired[c]),
    sumMax: a.sumMax.map((s, c) => sum(s, b.sumMax[c])),
    top: a.top.map((list, c) => mergeLists(list, b.top[c], a.k)),
    failed: [...a.failed, ...b.failed],
  };
}

/**
 * Counts a part into a state in place, as if the state had scanned the part's images; `images`
 * are the images the part covers (with their signatures, which the state records as handled).
 */
export function addPart(s: LayerTopkState, part: TopkPart, images: readonly ListedImage[]): void {
  check({ tensor: s.tensor, k: s.k, maps: s.dims[0] }, part);
  s.count += part.count;
  part.fired.forEach((f, c) => (s.fired[c] += f));
  part.sumMax.forEach((v, c) => (s.sumMax[c] += v ?? NaN));
  s.top = s.top.map((list, c) =>
    mergeLists(list.map((e) => [e.image, e.position[0], e.position[1], e.value] as PartEntry), part.top[c], s.k).map(
      ([image, y, x, value]): TopEntry => ({ image, position: [y, x], value }),
    ),
  );
  for (const [p, reason] of part.failed) s.failed.set(p, reason);
  for (const i of images) s.seen.set(i.path, i.sig);
}
