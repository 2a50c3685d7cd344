// Helpers for this folder's tests (pure: the tests bring onnxruntime themselves).
import { seededRandom } from '../onnx/seeded-random.ts';

export function randomArray(n: number, seed: number, sparsity = 0): Float32Array {
  const rnd = seededRandom(seed);
  return Float32Array.from({ length: n }, () => {
    const v = rnd() * 2 - 1;
    return rnd() < sparsity ? 0 : v;
  });
}

/** ⟨a, b⟩ in float64, and Σ|a·b| to scale the tolerance by. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): { value: number; scale: number } {
  if (a.length !== b.length) throw new Error(`dot: lengths ${a.length} and ${b.length}`);
  let value = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    value += a[i] * b[i];
    scale += Math.abs(a[i] * b[i]);
  }
  return { value, scale };
}

/** The first index where |a − e| > atol + rtol·|e|, or −1. */
export function firstMismatch(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number): number {
  if (actual.length !== expected.length) return 0;
  for (let i = 0; i < actual.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= atol + rtol * Math.abs(expected[i]))) return i;
  }
  return -1;
}

export function describeMismatch(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number): string {
  const i = firstMismatch(actual, expected, atol, rtol);
  if (i < 0) return 'equal';
  if (actual.length !== expected.length) return `lengths ${actual.length} and ${expected.length}`;
  return `index ${i}: ${actual[i]} vs ${expected[i]}`;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

export function argmaxAbs(a: ArrayLike<number>): number {
  let at = 0;
  for (let i = 1; i < a.length; i++) if (Math.abs(a[i]) > Math.abs(a[at])) at = i;
  return at;
}
