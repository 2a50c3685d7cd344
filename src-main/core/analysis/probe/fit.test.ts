// The probe fit against independent references: a naive normal-equations solve written here with
// plain loops, and scikit-learn's StandardScaler + RidgeClassifier (fixtures/make-sklearn.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../onnx/index.ts';
import { fitProbe, isConstantFeature, ProbeFolds, standardScale, type ProbeFitInput } from './fit.ts';

/** Solves A x = b (A n×n, b n×m, row-major) by Gaussian elimination with partial pivoting. */
function gaussSolve(A: number[][], B: number[][]): number[][] {
  const n = A.length;
  const a = A.map((r, i) => [...r, ...B[i]]);
  const m = B[0].length;
  for (let col = 0; col < n; col++) {
    let p = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r][col]) > Math.abs(a[p][col])) p = r;
    [a[col], a[p]] = [a[p], a[col]];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r][col] / a[col][col];
      for (let c = col; c < n + m; c++) a[r][c] -= f * a[col][c];
    }
  }
  return a.map((r, i) => r.slice(n).map((v) => v / a[i][i]));
}

/** StandardScaler + RidgeClassifier on the training rows, the textbook way: W = (ZᵀZ + λI)⁻¹ ZᵀYc, b = ȳ − z̄ᵀW. */
function naiveFold(d: ProbeFitInput, f: number) {
  const { F, classes: C } = d;
  const rows: number[][] = [];
  const ys: number[] = [];
  for (let r = 0; r < d.n; r++) if (d.folds[r] !== f) {
    rows.push(Array.from(d.features.subarray(r * F, (r + 1) * F)));
    ys.push(d.labels[r]);
  }
  const n = rows.length;
  const mean = Array.from({ length: F }, (_, j) => rows.reduce((s, x) => s + x[j], 0) / n);
  const scale = mean.map((m, j) => {
    const v = rows.reduce((s, x) => s + (x[j] - m) ** 2, 0) / n;
    return v < 1e-20 ? 1 : Math.sqrt(v);
  });
  const Z = rows.map((x) => x.map((v, j) => (v - mean[j]) / scale[j]));
  const Y = ys.map((y) => Array.from({ length: C }, (_, c) => (y === c ? 1 : -1)));
  const zbar = Array.from({ length: F }, (_, j) => Z.reduce((s, z) => s + z[j], 0) / n);
  const ybar = Array.from({ length: C }, (_, c) => Y.reduce((s, y) => s + y[c], 0) / n);
  const A = Array.from({ length: F }, (_, i) => Array.from({ length: F }, (_, j) => {
    let s = 0;
    for (let r = 0; r < n; r++) s += (Z[r][i] - zbar[i]) * (Z[r][j] - zbar[j]);
    return s + (i === j ? d.lambda : 0);
  }));
  const B = Array.from({ length: F }, (_, i) => Array.from({ length: C }, (_, c) => {
    let s = 0;
    for (let r = 0; r < n; r++) s += (Z[r][i] - zbar[i]) * (Y[r][c] - ybar[c]);
    return s;
  }));
  const W = gaussSolve(A, B);
  const intercept = ybar.map((yb, c) => yb - zbar.reduce((s, z, j) => s + z * W[j][c], 0));
  return { mean, scale, W, intercept };
}

function randomProblem(seed: number, n: number, F: number, classes: number, k: number, signal = 0): ProbeFitInput {
  const rnd = seededRandom(seed);
  const labels = Int32Array.from({ length: n }, () => Math.floor(rnd() * classes));
  const dir = Array.from({ length: classes * F }, () => rnd() - 0.5);
  const features = Float32Array.from({ length: n * F }, (_, i) => 3 + rnd() * 2 + signal * dir[labels[Math.floor(i / F)] * F + (i % F)]);
  const seen = new Array(classes).fill(0);
  const folds = Int32Array.from(labels, (c) => seen[c]++ % k);
  return { features, n, F, labels, classes, folds, k, lambda: 0.7 };
}

const close = (got: ArrayLike<number>, want: ArrayLike<number>, tol: number) => {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(want[i])));
};

describe('probe ridge fit', () => {
  it.each([
    ['primal (F ≤ training images)', randomProblem(1, 40, 5, 3, 4, 2)],
    ['dual (F > training images)', randomProblem(2, 12, 20, 3, 3, 2)],
  ])('equals a naive normal-equations solve with intercept, %s, to 1e-9', (_, d) => {
    const folds = new ProbeFolds(d);
    for (let f = 0; f < d.k; f++) {
      const got = folds.fit(f);
      const want = naiveFold(d, f);
      close(got.mean, want.mean, 1e-12);
      close(got.scale, want.scale, 1e-12);
      close(got.W, want.W.flat(), 1e-9);
      close(got.intercept, want.intercept, 1e-9);
    }
  });

  it('matches scikit-learn StandardScaler + RidgeClassifier fold by fold (fixtures/sklearn-probe.json)', () => {
    const fixture = JSON.parse(readFileSync(new URL('./fixtures/sklearn-probe.json', import.meta.url), 'utf8'));
    for (const c of fixture.cases) {
      const d: ProbeFitInput = {
        features: Float32Array.from(c.features), n: c.n, F: c.F, labels: Int32Array.from(c.labels), classes: c.classes,
        folds: Int32Array.from(c.folds), k: c.k, lambda: c.lambda,
      };
      const folds = new ProbeFolds(d);
      c.fits.forEach((want: { mean: number[]; scale: number[]; W: number[]; intercept: number[]; accuracy: number }, f: number) => {
        const got = folds.fit(f);
        close(got.mean, want.mean, 1e-12);
        close(got.scale, want.scale, 1e-12);
        close(got.W, want.W, 1e-9);
        close(got.intercept, want.intercept, 1e-9);
        expect(folds.accuracy(f, got)).toBe(want.accuracy);
      });
      const fit = fitProbe(d);
      const accs = c.fits.map((x: { accuracy: number }) => x.accuracy);
      const mean = accs.reduce((a: number, b: number) => a + b, 0) / accs.length;
      expect(fit.foldAccuracies).toEqual(accs);
      expect(fit.accuracy).toBeCloseTo(mean, 12);
      expect(fit.std).toBeCloseTo(Math.sqrt(accs.reduce((a: number, b: number) => a + (b - mean) ** 2, 0) / accs.length), 12);
    }
  });

  it('gives accuracy 1 when a feature is the one-hot class, and about chance on random features', () => {
    const n = 200, C = 4, k = 5;
    const labels = Int32Array.from({ length: n }, (_, i) => i % C);
    const folds = Int32Array.from({ length: n }, (_, i) => Math.floor(i / C) % k);
    const onehot = Float32Array.from({ length: n * C }, (_, i) => (labels[Math.floor(i / C)] === i % C ? 2.5 : 0));
    expect(fitProbe({ features: onehot, n, F: C, labels, classes: C, folds, k, lambda: 1 })).toMatchObject({ accuracy: 1, std: 0 });
    const r = randomProblem(7, 1000, 16, 5, 5, 0);
    const fit = fitProbe(r);
    // 1000 held-out guesses at p = 0.2: the standard error is 0.013; random features cannot do much better.
    expect(Math.abs(fit.accuracy - 0.2)).toBeLessThan(0.05);
    const informative = fitProbe(randomProblem(7, 1000, 16, 5, 5, 3));
    expect(informative.accuracy).toBeGreaterThan(0.9);
  });
});

describe('StandardScaler behaviour', () => {
  it('uses the population standard deviation, and 1 for a constant column', () => {
    const X = Float64Array.from([1, 7, 0, 2, 7, 0, 3, 7, 0, 4, 7, 0]);
    const { mean, scale } = standardScale(X, 3, [0, 1, 2, 3]);
    expect(Array.from(mean)).toEqual([2.5, 7, 0]);
    expect(scale[0]).toBeCloseTo(Math.sqrt(1.25), 15);
    expect(scale[1]).toBe(1);
    expect(scale[2]).toBe(1);
  });

  it('treats a variance within rounding of a constant as 0, as scikit-learn does', () => {
    // 0.1 ten times: its float mean is not 0.1 exactly, so the two-pass variance is ~1e-34, not 0.
    const X = new Float64Array(10).fill(0.1);
    expect(standardScale(X, 1, Array.from({ length: 10 }, (_, i) => i)).scale[0]).toBe(1);
    expect(isConstantFeature(1e-3, 0.1, 10)).toBe(false);
    expect(isConstantFeature(0, 5, 10)).toBe(true);
  });
});
