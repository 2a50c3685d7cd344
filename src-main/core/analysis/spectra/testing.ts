// The naive twin of the spectra (tests only): a direct DFT at every frequency of the fftshifted grid
// and DESIGN §3's definitions written out literally, with floats where the kernel uses integers; and
// the small model and naive conv the firing tests check against.
import { GraphBuilder, seededRandom } from '../../onnx/index.ts';

export interface NaiveSpectra {
  N: number;
  /** Per filter: fftshifted N×N power. */
  power: Float64Array[];
  rms: number[];
  centroid: number[];
  bands: { low: number; mid: number; high: number }[];
  aliasing: number[];
}

export function naiveSpectra(
  w: ArrayLike<number>,
  dims: readonly [number, number, number, number],
  stride: readonly [number, number],
  dilation: readonly [number, number] = [1, 1],
): NaiveSpectra {
  const [K, C, kh, kw] = dims;
  const size = Math.max((kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1);
  let N = 1;
  while (N < Math.max(32, 4 * size)) N *= 2;
  const out: NaiveSpectra = { N, power: [], rms: [], centroid: [], bands: [], aliasing: [] };
  for (let k = 0; k < K; k++) {
    const P = new Float64Array(N * N);
    let sq = 0;
    for (let c = 0; c < C; c++) {
      for (let t = 0; t < kh * kw; t++) sq += Number(w[(k * C + c) * kh * kw + t]) ** 2;
      for (let i = 0; i < N; i++) {
        const fy = (i - N / 2) / N;
        for (let j = 0; j < N; j++) {
          const fx = (j - N / 2) / N;
          let re = 0;
          let im = 0;
          for (let y = 0; y < kh; y++) {
            for (let x = 0; x < kw; x++) {
              const v = Number(w[((k * C + c) * kh + y) * kw + x]);
              const th = -2 * Math.PI * (fx * x * dilation[1] + fy * y * dilation[0]);
              re += v * Math.cos(th);
              im += v * Math.sin(th);
            }
          }
          P[i * N + j] += re * re + im * im;
        }
      }
    }
    let total = 0;
    let rs = 0;
    let low = 0;
    let mid = 0;
    let high = 0;
    let alias = 0;
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) {
        const fy = (i - N / 2) / N;
        const fx = (j - N / 2) / N;
        const p = P[i * N + j];
        const r = Math.sqrt(fx * fx + fy * fy);
        total += p;
        rs += r * p;
        if (r < 1 / 8) low += p;
        else if (r < 1 / 4) mid += p;
        else high += p;
        if (Math.abs(fy) > 1 / (2 * stride[0]) || Math.abs(fx) > 1 / (2 * stride[1])) alias += p;
      }
    }
    const sh = (v: number) => (total > 0 ? v / total : 0);
    out.power.push(P);
    out.rms.push(Math.sqrt(sq / (C * kh * kw)));
    out.centroid.push(sh(rs));
    out.bands.push({ low: sh(low), mid: sh(mid), high: sh(high) });
    out.aliasing.push(sh(alias));
  }
  return out;
}

/** |a − e| ≤ atol + rtol·|e|. */
export function close(a: number, e: number, rtol = 1e-6, atol = 1e-12): boolean {
  return Math.abs(a - e) <= atol + rtol * Math.abs(e);
}

/** Test filters, each k×k, scaled to rms 1 unless zero. */
export const filters = {
  cosine(k: number, fx: number, fy: number): number[] {
    return unit(Array.from({ length: k * k }, (_, i) => Math.cos(2 * Math.PI * (fx * (i % k) + fy * Math.floor(i / k)))));
  },
  checkerboard(k: number): number[] {
    return unit(Array.from({ length: k * k }, (_, i) => ((i % k) + Math.floor(i / k)) % 2 ? -1 : 1));
  },
  gaussian(k: number, sigma: number): number[] {
    const c = (k - 1) / 2;
    return unit(Array.from({ length: k * k }, (_, i) => Math.exp(-(((i % k) - c) ** 2 + (Math.floor(i / k) - c) ** 2) / (2 * sigma * sigma))));
  },
  random(k: number, rnd: () => number): number[] {
    return unit(Array.from({ length: k * k }, () => rnd() - 0.5));
  },
};

function unit(v: number[]): number[] {
  const rms = Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
  return v.map((x) => x / rms);
}

/**
 * A 1×16×16 gray model for firing scans: conv1 has 4 filters 3×3 (pad 1) — bias +1000 (always fires),
 * bias −1000 (never fires), a box filter (fires on bright images) and its negative (fires on dark
 * ones) — then relu1, a grouped conv2 (2 groups, 6 filters 3×3 stride 2), relu2, pool, fc → 10 logits.
 */
export function firingTestModel(): { bytes: Uint8Array; conv1: { weights: number[]; bias: number[] }; conv2: number[] } {
  return buildFiringModel();
}

function buildFiringModel() {
  const rnd = seededRandom(21);
  const box = new Array(9).fill(1 / 9);
  const weights = [...filters.random(3, rnd), ...filters.random(3, rnd), ...box, ...box.map((v) => -v)];
  const bias = [1000, -1000, 0, 0];
  const conv2 = Array.from({ length: 6 * 2 * 9 }, () => rnd() - 0.5);
  const b = new GraphBuilder({ opset: 13, seed: 5 });
  let h = b.input('input', ['N', 1, 16, 16]);
  h = b.conv(h, { outChannels: 4, kernel: 3, pad: 1, weights, biasValues: bias, name: 'conv1' });
  h = b.relu(h, 'relu1');
  h = b.conv(h, { outChannels: 6, kernel: 3, stride: 2, pad: 1, groups: 2, weights: conv2, name: 'conv2' });
  h = b.relu(h, 'relu2');
  h = b.maxPool(h, { kernel: 2, stride: 2, name: 'pool' });
  h = b.flatten(h, 1, 'flatten');
  h = b.gemm(h, { out: 10, name: 'logits' });
  b.output(h);
  return { bytes: b.build(), conv1: { weights, bias }, conv2 };
}

/** Naive 3×3 pad-1 stride-1 conv of one 1×H×W image, then ReLU: does each filter's map exceed 0 anywhere? */
export function naiveFires(x: Float32Array, h: number, w: number, weights: number[], bias: number[]): boolean[] {
  return bias.map((bk, k) => {
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < w; xx++) {
        let s = bk;
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy;
            const xs = xx + dx;
            if (yy >= 0 && yy < h && xs >= 0 && xs < w) s += weights[k * 9 + (dy + 1) * 3 + (dx + 1)] * x[yy * w + xs];
          }
        if (Math.max(0, s) > 0) return true;
      }
    return false;
  });
}
