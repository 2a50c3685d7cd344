// A layer's top-k state as JSON on disk, and the check that a file read back is one this code could
// have written for this key. A cache file is outside the app's control (disk errors, a crash in
// an older version, a hand edit), and a wrong one would silently give wrong top-k lists and firing
// rates, so everything that can be checked is: the shape (zod), then the invariants the scan
// keeps (counts agree with the handled images, lists sorted, positions inside the map, …). Any
// failure means the layer is rebuilt; the reason is reported.
import { z } from 'zod';
import type { ScanLayer } from './layers.ts';
import { SIGNATURE_PATTERN } from './signature.ts';
import type { LayerTopkState } from './state.ts';
import { ranksAbove } from './top-list.ts';

/** Bumped whenever the stored form or its meaning changes: a file of another version is rebuilt without a word. */
export const STORED_VERSION = 2;

/** What a cache file is for, beyond the layer: checked so a copied or renamed file is not taken for another. */
export interface StoredKey {
  modelHash: string;
  folder: string;
  layer: ScanLayer;
  k: number;
}

/** A folder-relative image path as the listing produces it: never absolute, never leaving the folder. */
const relPath = z.string().min(1).refine((p) => !p.startsWith('/') && !/^[A-Za-z]:/.test(p) && !p.includes('\\') && !p.includes('\0') && !p.split('/').includes('..'), 'not a folder-relative path');
const count = z.number().int().min(0);
// zod 4's number() takes finite numbers only: NaN, Infinity and JSON's null are refused.
const value = z.number();

const storedSchema = z.object({
  version: z.literal(STORED_VERSION),
  modelHash: z.string(),
  folder: z.string(),
  layer: z.string(),
  tensor: z.string(),
  k: z.number().int().min(1),
  dims: z.tuple([z.number().int().min(1), z.number().int().min(1), z.number().int().min(1)]),
  count,
  fired: z.array(count),
  sumMax: z.array(value),
  /** Per map: [image, y, x, value], best first. */
  top: z.array(z.array(z.tuple([relPath, count, count, value]))),
  /** [path, signature] of every handled image. */
  seen: z.array(z.tuple([relPath, z.string().regex(SIGNATURE_PATTERN)])),
  /** [path, reason] of the handled images that failed to load. */
  failed: z.array(z.tuple([relPath, z.string()])),
});

export type StoredState = z.infer<typeof storedSchema>;

/** The JSON form, or null when the state holds a number JSON cannot carry (a model that produced NaN or ±Infinity). */
export function toStored(s: LayerTopkState, key: StoredKey): StoredState | null {
  const top = s.top.map((l) => l.map((e) => [e.image, e.position[0], e.position[1], e.value] as [string, number, number, number]));
  const sumMax = Array.from(s.sumMax);
  if (!sumMax.every(Number.isFinite) || !top.every((l) => l.every((e) => Number.isFinite(e[3])))) return null;
  return {
    version: STORED_VERSION,
    modelHash: key.modelHash,
    folder: key.folder,
    layer: s.layer,
    tensor: s.tensor,
    k: s.k,
    dims: s.dims,
    count: s.count,
    fired: Array.from(s.fired),
    sumMax,
    top,
    seen: [...s.seen],
    failed: [...s.failed],
  };
}

export type Restored = { state: LayerTopkState } | { state: null; problem: string; outdated: boolean };

function issue(e: z.ZodError): string {
  const i = e.issues[0];
  return `${i.path.length ? i.path.join('.') : 'file'}: ${i.message}`;
}

/** The first broken invariant of a well-formed stored state, or null. */
function inconsistency(d: StoredState, key: StoredKey): string | null {
  const { layer: l, k } = key;
  if (d.modelHash !== key.modelHash || d.folder !== key.folder) return 'made for another model or folder';
  if (d.tensor !== l.tensor || d.k !== k || d.dims.join() !== l.dims.join()) return `made for ${d.tensor} k=${d.k} [${d.dims.join('×')}], not ${l.tensor} k=${k} [${l.dims.join('×')}]`;
  const [C, H, W] = l.dims;
  if (d.fired.length !== C || d.sumMax.length !== C || d.top.length !== C) return `per-map lists are not ${C} long`;
  const seen = new Map(d.seen);
  if (seen.size !== d.seen.length) return 'seen: an image is listed twice';
  const failed = new Set(d.failed.map(([p]) => p));
  if (failed.size !== d.failed.length) return 'failed: an image is listed twice';
  for (const p of failed) if (!seen.has(p)) return `failed: ${p} is not among the seen images`;
  if (d.count !== seen.size - failed.size) return `count ${d.count} ≠ ${seen.size} seen − ${failed.size} failed`;
  for (let c = 0; c < C; c++) {
    const list = d.top[c];
    if (d.fired[c] > d.count) return `fired[${c}] = ${d.fired[c]} exceeds count ${d.count}`;
    // Every counted image offers a finite value to every map, so a full scan keeps exactly this many.
    if (list.length !== Math.min(k, d.count)) return `top[${c}] has ${list.length} entries, not ${Math.min(k, d.count)}`;
    // The images with a maximum > 0 are the best ones, so the list starts with min(fired, k) of them.
    if (list.filter((e) => e[3] > 0).length !== Math.min(k, d.fired[c])) return `top[${c}] disagrees with fired[${c}] = ${d.fired[c]}`;
    const images = new Set<string>();
    for (const [j, [image, y, x, v]] of list.entries()) {
      if (y >= H || x >= W) return `top[${c}][${j}] position ${y},${x} is outside ${H}×${W}`;
      if (!seen.has(image) || failed.has(image)) return `top[${c}][${j}] ${image} is not a counted image`;
      if (images.has(image)) return `top[${c}] lists ${image} twice`;
      images.add(image);
      if (j > 0 && !ranksAbove({ image: list[j - 1][0], value: list[j - 1][3] }, { image, value: v })) return `top[${c}] is not sorted at ${j}`;
    }
    // The mean of the maxima cannot exceed the largest one (tolerance: summation rounding).
    if (d.count > 0 && d.sumMax[c] > d.count * list[0][3] + 1e-9 * d.count * Math.max(1, Math.abs(list[0][3]))) return `sumMax[${c}] exceeds count × the top value`;
    if (d.count === 0 && d.sumMax[c] !== 0) return `sumMax[${c}] is not 0 with no image counted`;
  }
  return null;
}

/** A stored state checked against its key, or why it cannot be used (`outdated`: another version, rebuilt quietly). */
export function fromStored(raw: unknown, key: StoredKey): Restored {
  const version = (raw as { version?: unknown } | null)?.version;
  // Another version of this code wrote it: expected after an upgrade, not damage.
  if (typeof version === 'number' && version !== STORED_VERSION) return { state: null, problem: `version ${version}, not ${STORED_VERSION}`, outdated: true };
  const parsed = storedSchema.safeParse(raw);
  if (!parsed.success) return { state: null, problem: issue(parsed.error), outdated: false };
  const d = parsed.data;
  const broken = inconsistency(d, key);
  if (broken) return { state: null, problem: broken, outdated: false };
  return {
    state: {
      layer: key.layer.layer,
      tensor: d.tensor,
      k: d.k,
      dims: key.layer.dims,
      count: d.count,
      fired: Int32Array.from(d.fired),
      sumMax: Float64Array.from(d.sumMax),
      top: d.top.map((list) => list.map(([image, y, x, value]) => ({ image, position: [y, x] as [number, number], value }))),
      seen: new Map(d.seen),
      failed: new Map(d.failed),
    },
  };
}
