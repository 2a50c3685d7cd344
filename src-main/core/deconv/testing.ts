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

/** A reference projection stored cropped to `crop` = [y0, x0, y1, x1] at `offset` of `blob` (make-fixtures.py), back to C×H×W. */
export function uncrop(blob: Float32Array, offset: number, crop: [number, number, number, number], [C, H, W]: [number, number, number]): Float32Array {
  const [y0, x0, y1, x1] = crop;
  const [h, w] = [y1 - y0 + 1, x1 - x0 + 1];
  const out = new Float32Array(C * H * W);
  for (let ch = 0; ch < C; ch++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) out[(ch * H + y0 + y) * W + x0 + x] = blob[offset + (ch * h + y) * w + x];
  return out;
}
