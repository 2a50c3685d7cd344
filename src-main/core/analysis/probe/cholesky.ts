// The ridge system (A + λI) W = B of the probe fit, A symmetric positive semi-definite (a Gram
// matrix). Up to BLOCK unknowns: ml-matrix's Cholesky, as scikit-learn's "cholesky" solver. Above,
// the same factorisation by blocks (right-looking): each diagonal block factored and inverted by
// ml-matrix, the panel and the trailing update — nearly all of the n³/3 work — on onnxruntime's
// Gemm (runtime/gemm.ts). ml-matrix alone spends minutes on 4,096 unknowns (its element access is
// a method call); by blocks it is seconds.
import { CholeskyDecomposition, inverse, Matrix } from 'ml-matrix';
import { AppError } from '../../../common/errors.ts';
import { choleskyStep } from '../../runtime/gemm.ts';

export const CHOLESKY_BLOCK = 128;

function notPositiveDefinite(lambda: number, layer: string | undefined): AppError {
  return new AppError('INTERNAL', `the probe of ${layer ?? 'a layer'} could not be fitted: XᵀX + λI is not positive definite (λ = ${lambda})`, layer ? { layer } : undefined);
}

/** The rows r0…r1 and columns c0…c1 of an n-column row-major matrix, as their own buffer. */
function slice(M: Float64Array, n: number, r0: number, r1: number, c0: number, c1: number): Float64Array {
  const w = c1 - c0;
  const out = new Float64Array((r1 - r0) * w);
  for (let r = r0; r < r1; r++) out.set(M.subarray(r * n + c0, r * n + c1), (r - r0) * w);
  return out;
}

/**
 * `M` (n×n, row-major) made exactly symmetric, in place: each pair of mirrored entries set to its
 * mean. A Gram matrix or a trailing update from a Gemm can differ from its mirror in the last bit,
 * and ml-matrix's Cholesky refuses any asymmetry ("Matrix is not symmetric").
 */
export function symmetrize(M: Float64Array, n: number): Float64Array {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const v = (M[i * n + j] + M[j * n + i]) / 2;
      M[i * n + j] = v;
      M[j * n + i] = v;
    }
  }
  return M;
}

/**
 * W (n×C, row-major) solving (A + λI) W = B for A n×n symmetric (both triangles filled) and B n×C.
 * `block`: the largest system solved whole by ml-matrix, and the block size above it.
 */
export async function solveRidgeSystem(A: Float64Array, n: number, B: Float64Array, C: number, lambda: number, layer?: string, block = CHOLESKY_BLOCK): Promise<Float64Array> {
  if (n <= block) {
    const a = Matrix.from1DArray(n, n, symmetrize(Float64Array.from(A), n));
    for (let j = 0; j < n; j++) a.set(j, j, a.get(j, j) + lambda);
    const chol = new CholeskyDecomposition(a);
    if (!chol.isPositiveDefinite()) throw notPositiveDefinite(lambda, layer);
    return Float64Array.from(chol.solve(Matrix.from1DArray(n, C, B)).to1DArray());
  }

  // L, lower triangular, and the inverse of each diagonal block of it.
  const L = new Float64Array(n * n);
  const starts: number[] = [];
  const inverses: Float64Array[] = [];
  // The trailing matrix still to factor: m×m, starting at row and column k0 of A + λI.
  let T: Float64Array = Float64Array.from(A);
  for (let j = 0; j < n; j++) T[j * n + j] += lambda;
  for (let k0 = 0; k0 < n; k0 += block) {
    const m = n - k0;
    const b = Math.min(block, m);
    const chol = new CholeskyDecomposition(Matrix.from1DArray(b, b, symmetrize(slice(T, m, 0, b, 0, b), b)));
    if (!chol.isPositiveDefinite()) throw notPositiveDefinite(lambda, layer);
    const Lkk = chol.lowerTriangularMatrix;
    const inv = Float64Array.from(inverse(Lkk).to1DArray());
    starts.push(k0);
    inverses.push(inv);
    for (let i = 0; i < b; i++) for (let j = 0; j <= i; j++) L[(k0 + i) * n + k0 + j] = Lkk.get(i, j);
    const r = m - b;
    if (r === 0) break;
    // Panel L_rk = A_rk · L_kk⁻ᵀ, and the trailing update A_rr − L_rk L_rkᵀ.
    const step = await choleskyStep({ data: T, rows: m, cols: m }, { data: inv, rows: b, cols: b });
    for (let i = 0; i < r; i++) L.set(step.panel.data.subarray(i * b, (i + 1) * b), (k0 + b + i) * n + k0);
    T = step.trailing.data;
  }

  // Forward, L Y = B, a block at a time; then back, Lᵀ W = Y.
  const Y = Float64Array.from(B);
  const tmp = new Float64Array(block * C);
  const applyInverse = (inv: Float64Array, b: number, k0: number, transpose: boolean) => {
    tmp.fill(0, 0, b * C);
    for (let i = 0; i < b; i++) {
      for (let j = 0; j < b; j++) {
        const v = transpose ? inv[j * b + i] : inv[i * b + j];
        if (v === 0) continue;
        for (let c = 0; c < C; c++) tmp[i * C + c] += v * Y[(k0 + j) * C + c];
      }
    }
    Y.set(tmp.subarray(0, b * C), k0 * C);
  };
  starts.forEach((k0, s) => {
    const b = Math.min(block, n - k0);
    applyInverse(inverses[s], b, k0, false);
    for (let i = k0 + b; i < n; i++) {
      for (let j = k0; j < k0 + b; j++) {
        const l = L[i * n + j];
        for (let c = 0; c < C; c++) Y[i * C + c] -= l * Y[j * C + c];
      }
    }
  });
  for (let s = starts.length - 1; s >= 0; s--) {
    const k0 = starts[s];
    const b = Math.min(block, n - k0);
    applyInverse(inverses[s], b, k0, true);
    // Rows above the block: minus Lᵀ[i, j] W[j] = L[j, i] W[j].
    for (let j = k0; j < k0 + b; j++) {
      for (let i = 0; i < k0; i++) {
        const l = L[j * n + i];
        if (l === 0) continue;
        for (let c = 0; c < C; c++) Y[i * C + c] -= l * Y[j * C + c];
      }
    }
  }
  return Y;
}
