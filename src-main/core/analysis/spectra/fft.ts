// Iterative radix-2 FFT over Float64 arrays, in place, with twiddles and bit-reversal tables cached
// per size: a layer's spectra are K·C small transforms of one size, so the tables are built once.

interface Plan {
  n: number;
  cos: Float64Array;
  sin: Float64Array;
  rev: Uint32Array;
}

const plans = new Map<number, Plan>();

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

function plan(n: number): Plan {
  let p = plans.get(n);
  if (p) return p;
  if (!isPowerOfTwo(n)) throw new Error(`FFT size ${n} is not a power of two`);
  const half = n >> 1;
  const cos = new Float64Array(half);
  const sin = new Float64Array(half);
  // Twiddle e^{−2πik/n}; sin stored with its sign so the butterfly needs no negation.
  for (let k = 0; k < half; k++) {
    cos[k] = Math.cos((2 * Math.PI * k) / n);
    sin[k] = -Math.sin((2 * Math.PI * k) / n);
  }
  const rev = new Uint32Array(n);
  const bits = Math.log2(n);
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    rev[i] = r;
  }
  p = { n, cos, sin, rev };
  plans.set(n, p);
  return p;
}

/**
 * Forward DFT X[u] = Σ x[t]·e^{−2πiut/n} of the n values at re/im[offset + t·stride], in place.
 */
export function fft1d(re: Float64Array, im: Float64Array, n: number, offset = 0, stride = 1): void {
  const { cos, sin, rev } = plan(n);
  for (let i = 0; i < n; i++) {
    const j = rev[i];
    if (j > i) {
      const a = offset + i * stride;
      const b = offset + j * stride;
      let t = re[a];
      re[a] = re[b];
      re[b] = t;
      t = im[a];
      im[a] = im[b];
      im[b] = t;
    }
  }
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    const step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * step];
        const wi = sin[k * step];
        const a = offset + (start + k) * stride;
        const b = a + half * stride;
        const xr = re[b] * wr - im[b] * wi;
        const xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
      }
    }
  }
}

/**
 * 2-D forward DFT of an n×n row-major array (rows, then columns), in place. Rows from `rows` on must
 * be zero (a zero-padded kernel): their row transforms are zero and are skipped.
 */
export function fft2d(re: Float64Array, im: Float64Array, n: number, rows = n): void {
  if (re.length !== n * n || im.length !== n * n) throw new Error(`fft2d: expected ${n}×${n} values, got ${re.length} and ${im.length}`);
  for (let y = 0; y < Math.min(rows, n); y++) fft1d(re, im, n, y * n, 1);
  for (let x = 0; x < n; x++) fft1d(re, im, n, x, n);
}

/** Frequency in cycles/sample of DFT index u (of n), on [−½, ½). */
export function frequencyOf(u: number, n: number): number {
  return u < n / 2 ? u / n : u / n - 1;
}
