// Reading a model's class scores: probabilities and the most probable class, one row at a time.
import type { ClassScore } from '../../common/api.ts';

/**
 * Class probabilities of the row `scores[off … off+n)`: its softmax, or the row itself when the model
 * already outputs probabilities (its last node is a Softmax). Written into `out` when given.
 */
export function rowProbabilities(scores: ArrayLike<number>, off: number, n: number, isProbability: boolean, out = new Float64Array(n)): Float64Array {
  if (isProbability) {
    for (let i = 0; i < n; i++) out[i] = scores[off + i];
    return out;
  }
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, scores[off + i]);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += out[i] = Math.exp(scores[off + i] - max);
  for (let i = 0; i < n; i++) out[i] /= sum;
  return out;
}

/** Index of the largest value of a row (the first one on ties). */
export function argmax(a: ArrayLike<number>, off = 0, n = a.length): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (a[off + i] > a[off + best]) best = i;
  return best;
}

/** The k most probable classes, best first, with their labels. */
export function topK(probabilities: Float32Array, k: number, label: (i: number) => string): ClassScore[] {
  const order = Array.from(probabilities.keys()).sort((a, b) => probabilities[b] - probabilities[a]);
  return order.slice(0, k).map((index) => ({ index, label: label(index), probability: probabilities[index] }));
}
