// What a top-k scan of one layer keeps: per feature map the top-k list, how many images fired it
// and the sum of its maxima; plus which images (with their file signatures) are already counted.
// Memory is k × maps entries for the activations, whatever the folder size; the image list is the
// listing. Its form on disk is stored.ts.
import type { LayerMaxima } from '../map-maxima.ts';
import { offer, type TopEntry } from './top-list.ts';
import type { ScanLayer } from './layers.ts';

/** An image of a folder as far as the cache is concerned: its path and file signature (signature.ts). */
export interface ListedImage {
  path: string;
  sig: string;
}

export interface LayerTopkState {
  layer: string;
  tensor: string;
  k: number;
  dims: [number, number, number];
  /** Images whose maxima are counted. */
  count: number;
  /** Per map: images whose map maximum is > 0. */
  fired: Int32Array;
  /** Per map: Σ of the map maxima (float64, so long folders do not lose precision). */
  sumMax: Float64Array;
  /** Per map: its top k, best first. */
  top: TopEntry[][];
  /** Images already handled (counted or failed), by path → signature. */
  seen: Map<string, string>;
  /** Images that failed to load, by path → reason; they count nowhere. */
  failed: Map<string, string>;
}

export function emptyState(l: ScanLayer, k: number): LayerTopkState {
  const C = l.dims[0];
  return {
    layer: l.layer,
    tensor: l.tensor,
    k,
    dims: l.dims,
    count: 0,
    fired: new Int32Array(C),
    sumMax: new Float64Array(C),
    top: Array.from({ length: C }, () => []),
    seen: new Map(),
    failed: new Map(),
  };
}

/** Counts one image (batch item j of `m`) into the state. */
export function addImage(s: LayerTopkState, m: LayerMaxima, j: number, image: ListedImage): void {
  const C = s.dims[0];
  const W = m.width;
  for (let c = 0; c < C; c++) {
    const v = m.max[j * C + c];
    if (v > 0) s.fired[c]++;
    s.sumMax[c] += v;
    const list = s.top[c];
    // The cheap reject first: nearly every image is worse than a full list's k-th entry.
    if (list.length >= s.k && v < list[list.length - 1].value) continue;
    const at = m.argmax[j * C + c];
    offer(list, s.k, { image: image.path, position: [Math.floor(at / W), at % W], value: v });
  }
  s.count++;
  s.seen.set(image.path, image.sig);
}

export function addFailure(s: LayerTopkState, image: ListedImage, reason: string): void {
  s.failed.set(image.path, reason);
  s.seen.set(image.path, image.sig);
}

/** Forgets failed images that are gone or changed (they counted nowhere, so nothing needs undoing). */
export function pruneFailed(s: LayerTopkState, listing: readonly ListedImage[]): void {
  if (s.failed.size === 0) return;
  const current = new Map(listing.map((i) => [i.path, i.sig]));
  for (const p of [...s.failed.keys()]) {
    if (current.get(p) !== s.seen.get(p)) {
      s.failed.delete(p);
      s.seen.delete(p);
    }
  }
}

export interface ListingDiff {
  /** Images of the listing not yet handled. */
  todo: ListedImage[];
  /** Handled images that are gone or changed since: their maxima cannot be taken back out. */
  stale: number;
}

/** What a state still needs for a listing. */
export function diffListing(s: LayerTopkState, listing: readonly ListedImage[]): ListingDiff {
  const current = new Map(listing.map((i) => [i.path, i.sig]));
  let stale = 0;
  for (const [p, m] of s.seen) if (current.get(p) !== m) stale++;
  return { todo: listing.filter((i) => s.seen.get(i.path) !== i.sig), stale };
}

export interface MapSummary {
  channel: number;
  /** Share of counted images whose map maximum is > 0. */
  firingRate: number;
  /** Mean of the map maxima over the counted images. */
  meanMax: number;
  entries: TopEntry[];
}

export function summarise(s: LayerTopkState): MapSummary[] {
  return s.top.map((entries, channel) => ({
    channel,
    firingRate: s.count ? s.fired[channel] / s.count : 0,
    meanMax: s.count ? s.sumMax[channel] / s.count : 0,
    entries: entries.map((e) => ({ image: e.image, position: [e.position[0], e.position[1]] as [number, number], value: e.value })),
  }));
}

/** Maps that never fired on any counted image (the dataset-level dead-unit report). */
export function neverFires(s: LayerTopkState): number[] {
  if (s.count === 0) return [];
  const out: number[] = [];
  s.fired.forEach((f, c) => f === 0 && out.push(c));
  return out;
}
