// onnxruntime's float64 Gemm and the Cholesky step against plain loops.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../onnx/index.ts';
import { choleskyStep, gemm, type Mat } from './gemm.ts';

const rnd = seededRandom(11);
const random = (rows: number, cols: number): Mat => ({ data: Float64Array.from({ length: rows * cols }, () => rnd() * 2 - 1), rows, cols });
const at = (M: Mat, i: number, j: number, t: boolean) => (t ? M.data[j * M.cols + i] : M.data[i * M.cols + j]);

/** alpha·op(A)·op(B) + beta·C by the definition. */
function naive(A: Mat, B: Mat, tA: boolean, tB: boolean, alpha: number, beta: number, C?: Mat): number[] {
  const m = tA ? A.cols : A.rows;
  const k = tA ? A.rows : A.cols;
  const n = tB ? B.rows : B.cols;
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += at(A, i, p, tA) * at(B, p, j, tB);
      out.push(alpha * s + (C ? beta * C.data[i * n + j] : 0));
    }
  }
  return out;
}

const close = (got: ArrayLike<number>, want: number[]) => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(Math.abs(got[i] - w)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(w))));
};

describe('float64 gemm on onnxruntime', () => {
  it.each([[false, false], [true, false], [false, true], [true, true]])('transA %s, transB %s, with and without C', async (tA, tB) => {
    const A = tA ? random(7, 5) : random(5, 7);
    const B = tB ? random(3, 7) : random(7, 3);
    close((await gemm(A, B, { transA: tA, transB: tB })).data, naive(A, B, tA, tB, 1, 1));
    const C = random(5, 3);
    close((await gemm(A, B, { transA: tA, transB: tB, C, alpha: -1, beta: 0.5 })).data, naive(A, B, tA, tB, -1, 0.5, C));
  });

  it('reads a matrix that is a view into a larger buffer, and refuses mismatched shapes', async () => {
    const big = random(10, 4);
    const A = { data: big.data.subarray(8, 20), rows: 3, cols: 4 };
    const B = random(4, 2);
    close((await gemm(A, B)).data, naive({ data: Float64Array.from(A.data), rows: 3, cols: 4 }, B, false, false, 1, 1));
    await expect(gemm(A, random(3, 2))).rejects.toThrow(/inner dimensions differ \(4 and 3\)/);
  });

  it('a Cholesky step: the panel T[b:, :b]·L⁻ᵀ and the trailing T[b:, b:] − panel·panelᵀ', async () => {
    const m = 9, b = 4;
    const T = random(m, m);
    const inv = random(b, b);
    const { panel, trailing } = await choleskyStep(T, inv);
    const ark = { data: Float64Array.from({ length: (m - b) * b }, (_, i) => T.data[(b + Math.floor(i / b)) * m + (i % b)]), rows: m - b, cols: b };
    const wantPanel = naive(ark, inv, false, true, 1, 1);
    close(panel.data, wantPanel);
    const arr = { data: Float64Array.from({ length: (m - b) ** 2 }, (_, i) => T.data[(b + Math.floor(i / (m - b))) * m + b + (i % (m - b))]), rows: m - b, cols: m - b };
    const P = { data: Float64Array.from(wantPanel), rows: m - b, cols: b };
    close(trailing.data, naive(P, P, false, true, -1, 1, arr));
  });
});
