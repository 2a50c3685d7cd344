// The blocked ridge solve against ml-matrix's whole Cholesky and against the residual itself.
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../onnx/index.ts';
import { solveRidgeSystem } from './cholesky.ts';

/** A Gram matrix XᵀX of m random rows (n×n, positive semi-definite), and a right-hand side. */
function problem(seed: number, n: number, m: number, C: number) {
  const rnd = seededRandom(seed);
  const X = Matrix.from1DArray(m, n, Float64Array.from({ length: m * n }, () => rnd() * 2 - 1 + (rnd() < 0.1 ? 3 : 0)));
  const A = X.transpose().mmul(X);
  const B = Float64Array.from({ length: n * C }, () => rnd() * 2 - 1);
  return { A: Float64Array.from(A.to1DArray()), B };
}

describe('ridge system solve', () => {
  it.each([[100, 32], [97, 16], [64, 64]])('by blocks equals ml-matrix\'s whole Cholesky (n = %i, block %i)', async (n, block) => {
    const { A, B } = problem(n, n, 2 * n, 3);
    const lambda = 0.5;
    const a = Matrix.from1DArray(n, n, A);
    for (let j = 0; j < n; j++) a.set(j, j, a.get(j, j) + lambda);
    const want = new CholeskyDecomposition(a).solve(Matrix.from1DArray(n, 3, B)).to1DArray();
    const got = await solveRidgeSystem(A, n, B, 3, lambda, 'x', block);
    const scale = Math.max(...want.map(Math.abs));
    got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(1e-10 * scale));
    // And it solves the system: (A + λI) W − B is rounding.
    const residual = a.mmul(Matrix.from1DArray(n, 3, got)).sub(Matrix.from1DArray(n, 3, B));
    expect(Math.max(...residual.abs().to1DArray())).toBeLessThan(1e-9);
  });

  it.each([[40, 128], [100, 32]])('solves a Gram matrix whose mirrored entries differ in the last bits, as a Gemm may give it (n = %i, block %i)', async (n, block) => {
    const { A, B } = problem(7 + n, n, 2 * n, 2);
    const exact = Float64Array.from(A);
    // One ulp-scale difference above the diagonal only: ml-matrix alone refuses it as not symmetric.
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) A[i * n + j] *= 1 + 2 ** -50;
    expect(() => new CholeskyDecomposition(Matrix.from1DArray(n, n, A))).toThrow(/not symmetric/);
    const got = await solveRidgeSystem(A, n, B, 2, 0.5, 'x', block);
    const want = await solveRidgeSystem(exact, n, B, 2, 0.5, 'x', block);
    got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want[i]))));
  });

  it('names the layer when the system is not positive definite', async () => {
    const n = 40;
    const A = new Float64Array(n * n);
    for (let j = 0; j < n; j++) A[j * n + j] = j === 30 ? -5 : 1;
    await expect(solveRidgeSystem(A, n, new Float64Array(n), 1, 1, '/fc7', 8)).rejects.toThrow(/probe of \/fc7 could not be fitted: XᵀX \+ λI is not positive definite/);
  });
});
