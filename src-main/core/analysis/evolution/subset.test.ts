// The default maps of a feature-evolution figure follow DESIGN §3 to the letter; the expected lists
// are computed here from the definition, with mulberry32 written out again (not imported).
import { describe, expect, it } from 'vitest';
import { seededMapSubset } from './subset.ts';

/** mulberry32 as published (Tommy Ettinger), floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates (Durstenfeld): for i from C−1 down to 1, swap i with j uniform in 0…i. */
function expected(C: number, n: number, seed: number): number[] {
  const a = [...Array(C).keys()];
  const rnd = mulberry32(seed);
  for (let i = C - 1; i >= 1; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a.slice(0, n);
}

describe('seededMapSubset', () => {
  it('is the first n of a Fisher–Yates shuffle of 0…C−1 driven by mulberry32(seed)', () => {
    for (const [C, n, seed] of [[96, 8, 0], [32, 8, 0], [64, 8, 1], [10, 3, 12345], [256, 8, 4294967295]]) {
      const got = seededMapSubset(C, n, seed);
      expect(got).toEqual(expected(C, n, seed));
      expect(new Set(got).size).toBe(n);
    }
  });

  it('defaults to 8 maps with seed 0; all maps when the layer has fewer', () => {
    expect(seededMapSubset(96)).toEqual(expected(96, 8, 0));
    expect([...seededMapSubset(5)].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
    expect(seededMapSubset(5)).toEqual(expected(5, 5, 0));
  });

  it('different seeds give different subsets', () => {
    expect(seededMapSubset(96, 8, 0)).not.toEqual(seededMapSubset(96, 8, 1));
  });
});
