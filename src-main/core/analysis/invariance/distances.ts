// The numbers of an invariance sweep (DESIGN §3): feature distances to the untransformed image,
// class probabilities and the top-1 class, per row of a batch.
import { AppError } from '../../../common/errors.ts';
import type { OutputTensor } from '../../runtime/protocol.ts';

/** Values per image of a batched layer tensor (everything but the batch dimension). */
export function rowSize(t: OutputTensor): number {
  return t.dims.slice(1).reduce((a, b) => a * b, 1);
}

export function floatData(t: OutputTensor | undefined, name: string): Float32Array {
  if (!t) throw new AppError('RUNTIME_FAILED', `the model returned no tensor "${name}"`);
  if (t.type !== 'float32') throw new AppError('MODEL_UNSUPPORTED', `layer "${name}" is not a float tensor`);
  return t.data;
}

/** ‖a[aOff…aOff+n) − b[bOff…bOff+n)‖₂, accumulated in double precision. */
export function euclidean(a: Float32Array, aOff: number, b: Float32Array, bOff: number, n: number): number {
  // Four partial sums: independent dependency chains run in parallel on the CPU (about 2× here).
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const d0 = a[aOff + i] - b[bOff + i];
    const d1 = a[aOff + i + 1] - b[bOff + i + 1];
    const d2 = a[aOff + i + 2] - b[bOff + i + 2];
    const d3 = a[aOff + i + 3] - b[bOff + i + 3];
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  for (; i < n; i++) {
    const d = a[aOff + i] - b[bOff + i];
    s0 += d * d;
  }
  return Math.sqrt(s0 + s1 + s2 + s3);
}

export function l2norm(a: Float32Array, off: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[off + i] * a[off + i];
  return Math.sqrt(s);
}

/** d̂ = d / ‖φ(x)‖: 0/0 is 0 (nothing changed), d/0 is Infinity (a silent layer woke up). */
export function normalizedDistance(d: number, norm: number): number {
  if (norm > 0) return d / norm;
  return d === 0 ? 0 : Infinity;
}

