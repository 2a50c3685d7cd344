import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../onnx/seeded-random.ts';
import { addPart, emptyPart, mergeParts, partOf, type TopkPart } from './merge.ts';
import { addFailure, addImage, emptyState, type LayerTopkState, type ListedImage } from './state.ts';
import type { ScanLayer } from './layers.ts';

const C = 6;
const H = 3;
const W = 4;
const layer: ScanLayer = { layer: 'conv3', tensor: 'relu3', dims: [C, H, W] };
const K = 5;

interface Image {
  listed: ListedImage;
  /** Per map the maximum (from a small set of values, so ties are common; some ≤ 0) and its flat position. */
  max: number[];
  at: number[];
  /** Fails to load. */
  fails: boolean;
}

function images(n: number, seed: number): Image[] {
  const rnd = seededRandom(seed);
  // Natural order differs from the code-point order (img9 before img10): the tie rule must use it.
  return Array.from({ length: n }, (_, i) => ({
    listed: { path: `${i % 3 ? 'b' : 'a'}/img${i}.png`, sig: `s${i}` },
    max: Array.from({ length: C }, () => Math.floor(rnd() * 7) - 2),
    at: Array.from({ length: C }, () => Math.floor(rnd() * H * W)),
    fails: rnd() < 0.05,
  }));
}

/** A local scan's state: the images counted one by one, in the given order. */
function scanned(list: readonly Image[]): LayerTopkState {
  const s = emptyState(layer, K);
  for (const img of list) {
    if (img.fails) {
      addFailure(s, img.listed, 'not a PNG');
      continue;
    }
    addImage(s, { channels: C, height: H, width: W, max: Float32Array.from(img.max), argmax: Int32Array.from(img.at) }, 0, img.listed);
  }
  return s;
}

/** Consecutive shards of random sizes (some empty). */
function shards(list: readonly Image[], rnd: () => number): Image[][] {
  const out: Image[][] = [];
  for (let i = 0; i < list.length; ) {
    const n = Math.floor(rnd() * 25);
    out.push(list.slice(i, i + n));
    i += n;
  }
  return out;
}

/** Merges parts in a random binary grouping: split at a random point, merge each side, merge the two. */
function mergeGrouped(parts: readonly TopkPart[], rnd: () => number): TopkPart {
  if (parts.length === 1) return parts[0];
  const cut = 1 + Math.floor(rnd() * (parts.length - 1));
  const [a, b] = [mergeGrouped(parts.slice(0, cut), rnd), mergeGrouped(parts.slice(cut), rnd)];
  // Either side first: the merge must not care.
  return rnd() < 0.5 ? mergeParts(a, b) : mergeParts(b, a);
}

function expectSamePart(got: TopkPart, want: TopkPart): void {
  expect(got.count).toBe(want.count);
  expect(got.fired).toEqual(want.fired);
  expect(got.top).toEqual(want.top);
  got.sumMax.forEach((v, c) => expect(v).toBeCloseTo(want.sumMax[c]!, 9));
  expect(new Map(got.failed)).toEqual(new Map(want.failed));
}

function shuffle<T>(xs: T[], rnd: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

describe('merging top-k parts', () => {
  it('shards merged in any order and any grouping give the local scan, ties included', () => {
    for (let trial = 0; trial < 30; trial++) {
      const rnd = seededRandom(100 + trial);
      const all = images(40 + Math.floor(rnd() * 160), trial);
      const local = partOf(scanned(all));
      // The lists really have ties at the cut (else the tie rule would not be tested).
      if (trial === 0) expect(local.top.some((l) => l.length === K && all.filter((i) => !i.fails && i.max[local.top.indexOf(l)] === l[K - 1][3]).length > 1)).toBe(true);
      const parts = shuffle(shards(all, rnd).map((s) => partOf(scanned(s))), rnd);
      expectSamePart(mergeGrouped(parts, rnd), local);
    }
  });

  it('a state with part of the folder (the cache) plus the merged rest equals the whole scan, the handled images recorded', () => {
    const rnd = seededRandom(7);
    const all = images(150, 3);
    const cached = scanned(all.slice(0, 60));
    const rest = shards(all.slice(60), rnd);
    const merged = shuffle(rest.map((s) => partOf(scanned(s))), rnd).reduce(mergeParts, emptyPart(layer.tensor, K, C));
    addPart(cached, merged, all.slice(60).map((i) => i.listed));
    const whole = scanned(all);
    expectSamePart(partOf(cached), partOf(whole));
    expect(cached.seen).toEqual(whole.seen);
    expect(cached.failed).toEqual(whole.failed);
  });

  it('takes k from the union and keeps fewer when fewer images were counted', () => {
    const all = images(3, 9).map((i) => ({ ...i, fails: false }));
    const got = mergeParts(partOf(scanned(all.slice(0, 1))), partOf(scanned(all.slice(1))));
    expect(got.top.every((l) => l.length === 3)).toBe(true);
    expectSamePart(got, partOf(scanned(all)));
  });

  it('refuses parts of another tensor, k or map count, naming both', () => {
    const a = emptyPart('relu3', 5, 6);
    expect(() => mergeParts(a, emptyPart('relu4', 5, 6))).toThrow(/cannot merge a scan of relu4 \(k=5, 6 maps\) into one of relu3/);
    expect(() => mergeParts(a, emptyPart('relu3', 4, 6))).toThrow(/k=4/);
    expect(() => addPart(emptyState(layer, K), emptyPart('relu3', K, 7), [])).toThrow(/7 maps/);
  });

  it('survives JSON (the queue carries parts as JSON), a NaN sum included', () => {
    const p = partOf(scanned(images(30, 4)));
    p.sumMax[0] = NaN;
    const back = JSON.parse(JSON.stringify(p)) as TopkPart;
    const merged = mergeParts(back, emptyPart(p.tensor, p.k, C));
    expect(merged.sumMax[0]).toBeNaN();
    expect(merged.top).toEqual(p.top);
  });
});
