// Which feature maps a feature-evolution figure shows by default (DESIGN §3 "Feature evolution"):
// a seeded random subset, the same for every checkpoint and every run with the same seed.
import { seededRandom } from '../../onnx/seeded-random.ts';

export const DEFAULT_MAPS = 8;
export const DEFAULT_SEED = 0;

/** The first `n` of a Fisher–Yates shuffle of 0…C−1 driven by mulberry32(seed); all C when n ≥ C. */
export function seededMapSubset(C: number, n = DEFAULT_MAPS, seed = DEFAULT_SEED): number[] {
  const order = Array.from({ length: C }, (_, i) => i);
  const rnd = seededRandom(seed);
  for (let i = C - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order.slice(0, Math.min(n, C));
}
