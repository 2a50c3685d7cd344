// Gemm / MatMul input gradient: multiply by the weights transposed (no bias: it has no path back).
export function gemmTranspose(dy: Float32Array, rows: number, m: number, w: Float32Array, k: number, transB: boolean, alpha: number, out: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * k;
    for (let j = 0; j < m; j++) {
      const v = dy[r * m + j];
      if (v === 0) continue; // a single fc unit: one row of W is all the work
      const a = alpha * v;
      if (transB) {
        // w is [M, K]: row j is contiguous.
        const wr = j * k;
        for (let i = 0; i < k; i++) out[o + i] += a * w[wr + i];
      } else {
        // w is [K, M]: column j, stride M.
        for (let i = 0, wi = j; i < k; i++, wi += m) out[o + i] += a * w[wi];
      }
    }
  }
}
