// The probe fit of DESIGN §3 "Linear probe" for one layer: k-fold cross-validation of a ridge
// classifier on standardised features, exactly as scikit-learn's StandardScaler + RidgeClassifier
// (solver "cholesky") compute it. Runs in a compute worker (compute-tasks.ts).
//
// One Gram matrix XᵀX serves every fold: a fold's training Gram is the whole one less the fold's
// own rows, and centring and scaling by the training mean and standard deviation are applied to
// it algebraically (Zᵀ Z = D⁻¹ (X_TᵀX_T − n μμᵀ) D⁻¹). The features are first shifted by their mean
// over all images (which changes nothing in exact arithmetic) so that this subtraction does not
// cancel away the digits that matter. The solve is ml-matrix's Cholesky.
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { AppError } from '../../../common/errors.ts';

export interface ProbeFitInput {
  /** n images × F features, row-major. */
  features: Float32Array;
  n: number;
  F: number;
  /** Class index 0…classes−1 of each image. */
  labels: Int32Array;
  classes: number;
  /** Fold 0…k−1 of each image. */
  folds: Int32Array;
  k: number;
  lambda: number;
  /** The layer, for messages. */
  layer?: string;
}

export interface ProbeFit {
  /** Share of held-out images classified correctly, per fold. */
  foldAccuracies: number[];
  accuracy: number;
  /** Population standard deviation of the fold accuracies. */
  std: number;
}

const EPS = 2 ** -52;

/**
 * scikit-learn's test for a constant feature (sklearn.preprocessing._data._is_constant_feature):
 * a variance within the rounding error of its own computation counts as 0, so its scale is 1.
 */
export function isConstantFeature(variance: number, mean: number, n: number): boolean {
  const bound = n * EPS * variance + (n * mean * EPS) ** 2;
  return variance <= bound;
}

/** Mean and population standard deviation of each column over `rows` (StandardScaler; a constant column gets scale 1). */
export function standardScale(X: Float64Array, F: number, rows: ArrayLike<number>): { mean: Float64Array; scale: Float64Array } {
  const n = rows.length;
  const mean = new Float64Array(F);
  for (let r = 0; r < n; r++) {
    const o = rows[r] * F;
    for (let j = 0; j < F; j++) mean[j] += X[o + j];
  }
  for (let j = 0; j < F; j++) mean[j] /= n;
  // Two passes: the variance of a column constant over `rows` comes out (nearly) 0, not n·ε·mean².
  const v = new Float64Array(F);
  for (let r = 0; r < n; r++) {
    const o = rows[r] * F;
    for (let j = 0; j < F; j++) {
      const d = X[o + j] - mean[j];
      v[j] += d * d;
    }
  }
  const scale = new Float64Array(F);
  for (let j = 0; j < F; j++) {
    const variance = v[j] / n;
    scale[j] = isConstantFeature(variance, mean[j], n) ? 1 : Math.sqrt(variance);
  }
  return { mean, scale };
}

/**
 * Adds Σ over `rows` of xᵣ xᵣᵀ to the upper triangle of G (F×F), scaled by `sign`. Four rows at a
 * time: each pass over G's row then does four products per load and store of G (three times the
 * speed of one row at a time on the Gram of 10,000 × 512).
 */
function addGram(G: Float64Array, X: Float64Array, F: number, rows: ArrayLike<number>, sign: number): void {
  const n = rows.length;
  let r = 0;
  for (; r + 3 < n; r += 4) {
    const o0 = rows[r] * F, o1 = rows[r + 1] * F, o2 = rows[r + 2] * F, o3 = rows[r + 3] * F;
    for (let i = 0; i < F; i++) {
      const a0 = sign * X[o0 + i], a1 = sign * X[o1 + i], a2 = sign * X[o2 + i], a3 = sign * X[o3 + i];
      const gi = i * F;
      for (let j = i; j < F; j++) G[gi + j] += a0 * X[o0 + j] + a1 * X[o1 + j] + a2 * X[o2 + j] + a3 * X[o3 + j];
    }
  }
  for (; r < n; r++) {
    const o = rows[r] * F;
    for (let i = 0; i < F; i++) {
      const xi = sign * X[o + i];
      const gi = i * F;
      for (let j = i; j < F; j++) G[gi + j] += xi * X[o + j];
    }
  }
}

/** Bytes of per-fold Gram matrices kept at most: above, a fold's part is computed again when needed. */
const FOLD_GRAMS_BYTES = 256 * 2 ** 20;

/**
 * Ridge weights W (F×C) for standardised, centred features: (ZᵀZ + λI) W = ZᵀYc, given ZᵀZ as a
 * symmetric F×F matrix. The intercept is ȳ, as Z is centred.
 */
function solveRidge(A: Float64Array, B: Float64Array, F: number, C: number, lambda: number, layer: string | undefined): Matrix {
  const a = Matrix.from1DArray(F, F, A);
  for (let j = 0; j < F; j++) a.set(j, j, a.get(j, j) + lambda);
  const chol = new CholeskyDecomposition(a);
  if (!chol.isPositiveDefinite()) {
    throw new AppError('INTERNAL', `the probe of ${layer ?? 'a layer'} could not be fitted: XᵀX + λI is not positive definite (λ = ${lambda})`, layer ? { layer } : undefined);
  }
  return chol.solve(Matrix.from1DArray(F, C, B));
}

/** Targets ±1, one column per class. */
function target(label: number, c: number): number {
  return label === c ? 1 : -1;
}

export function checkProbeInput(d: ProbeFitInput): void {
  const { n, F, k, classes } = d;
  if (d.features.length !== n * F) throw new AppError('INTERNAL', `probe features: expected ${n}×${F} values, got ${d.features.length}`);
  if (d.labels.length !== n || d.folds.length !== n) throw new AppError('INTERNAL', 'probe labels and folds must have one entry per image');
  if (!(d.lambda > 0) || !Number.isFinite(d.lambda)) throw new AppError('INVALID_ARGUMENT', `λ must be a positive number, got ${d.lambda}`);
  if (!Number.isInteger(k) || k < 2) throw new AppError('INVALID_ARGUMENT', `folds must be an integer of at least 2, got ${k}`);
  if (classes < 2) throw new AppError('INVALID_ARGUMENT', `a probe needs at least 2 classes, got ${classes}`);
  for (let f = 0; f < k; f++) if (!d.folds.includes(f)) throw new AppError('INVALID_ARGUMENT', `fold ${f} of ${k} has no image: ${n} images are too few for ${k} folds`);
}

/** A fold's fitted classifier: standardise with mean/scale, then scores = z·W + intercept. */
export interface FoldModel {
  /** Training mean and scale of each feature (StandardScaler's mean_ and scale_). */
  mean: Float64Array;
  scale: Float64Array;
  /** F×C, row-major. */
  W: Float64Array;
  intercept: Float64Array;
}

/** The data of a probe made ready for its folds: shifted features, the fold rows and the one Gram matrix. */
export class ProbeFolds {
  private readonly X: Float64Array;
  private readonly shift: Float64Array;
  readonly foldRows: Int32Array[];
  private G: Float64Array | null = null;
  private readonly foldGrams: Float64Array[] = [];

  constructor(private readonly d: ProbeFitInput) {
    checkProbeInput(d);
    const { n, F, k, folds } = d;
    // Shifted by the overall column means (float64): exact algebra, fewer cancelled digits below.
    this.X = new Float64Array(n * F);
    this.shift = new Float64Array(F);
    for (let r = 0; r < n; r++) for (let j = 0; j < F; j++) this.shift[j] += d.features[r * F + j];
    for (let j = 0; j < F; j++) this.shift[j] /= n;
    for (let r = 0; r < n; r++) for (let j = 0; j < F; j++) this.X[r * F + j] = d.features[r * F + j] - this.shift[j];
    const rows: number[][] = Array.from({ length: k }, () => []);
    for (let r = 0; r < n; r++) rows[folds[r]].push(r);
    this.foldRows = rows.map((r) => Int32Array.from(r));
  }

  /**
   * The one Gram matrix of all rows, built as the sum of the folds' own, which are kept when they
   * fit in FOLD_GRAMS_BYTES (each fold's part is then subtracted at no further cost).
   */
  private gram(): Float64Array {
    if (!this.G) {
      const { F, k } = this.d;
      this.G = new Float64Array(F * F);
      const keep = k * F * F * 8 <= FOLD_GRAMS_BYTES;
      for (let f = 0; f < k; f++) {
        if (keep) {
          const Gf = new Float64Array(F * F);
          addGram(Gf, this.X, F, this.foldRows[f], 1);
          for (let i = 0; i < Gf.length; i++) this.G[i] += Gf[i];
          this.foldGrams.push(Gf);
        } else addGram(this.G, this.X, F, this.foldRows[f], 1);
      }
    }
    return this.G;
  }

  /** The Gram matrix of all rows but fold f's (upper triangle). */
  private trainGram(f: number): Float64Array {
    const A = Float64Array.from(this.gram());
    const Gf = this.foldGrams[f];
    if (Gf) for (let i = 0; i < A.length; i++) A[i] -= Gf[i];
    else addGram(A, this.X, this.d.F, this.foldRows[f], -1);
    return A;
  }

  /** The classifier trained on every fold but `f`. */
  fit(f: number): FoldModel {
    const { n, F, classes: C, lambda, labels, folds } = this.d;
    const X = this.X;
    const train = Int32Array.from(Array.from({ length: n }, (_, r) => r).filter((r) => folds[r] !== f));
    const nT = train.length;
    const { mean, scale } = standardScale(X, F, train);
    const ybar = new Float64Array(C);
    for (const r of train) for (let c = 0; c < C; c++) ybar[c] += target(labels[r], c);
    for (let c = 0; c < C; c++) ybar[c] /= nT;
    let W: Matrix;
    if (F <= nT) {
      // Primal: the fold's training Gram from the whole one, centred and scaled.
      const A = this.trainGram(f);
      for (let i = 0; i < F; i++) {
        for (let j = i; j < F; j++) {
          const v = (A[i * F + j] - nT * mean[i] * mean[j]) / (scale[i] * scale[j]);
          A[i * F + j] = v;
          A[j * F + i] = v;
        }
      }
      // ZᵀYc, column c: Σ over training rows of zᵣ (yᵣc − ȳc).
      const B = new Float64Array(F * C);
      const z = new Float64Array(F);
      const y = new Float64Array(C);
      for (const r of train) {
        for (let j = 0; j < F; j++) z[j] = (X[r * F + j] - mean[j]) / scale[j];
        for (let c = 0; c < C; c++) y[c] = target(labels[r], c) - ybar[c];
        for (let j = 0; j < F; j++) for (let c = 0; c < C; c++) B[j * C + c] += z[j] * y[c];
      }
      W = solveRidge(A, B, F, C, lambda, this.d.layer);
    } else {
      // Dual (more features than training images), as scikit-learn's kernel solve: W = Zᵀ (ZZᵀ + λI)⁻¹ Yc.
      const Z = new Float64Array(nT * F);
      train.forEach((r, i) => {
        for (let j = 0; j < F; j++) Z[i * F + j] = (X[r * F + j] - mean[j]) / scale[j];
      });
      const K = new Float64Array(nT * nT);
      for (let a = 0; a < nT; a++) {
        for (let b = a; b < nT; b++) {
          let s = 0;
          for (let j = 0; j < F; j++) s += Z[a * F + j] * Z[b * F + j];
          K[a * nT + b] = s;
          K[b * nT + a] = s;
        }
      }
      const Yc = new Float64Array(nT * C);
      train.forEach((r, i) => {
        for (let c = 0; c < C; c++) Yc[i * C + c] = target(labels[r], c) - ybar[c];
      });
      const alpha = solveRidge(K, Yc, nT, C, lambda, this.d.layer);
      W = Matrix.from1DArray(nT, F, Z).transpose().mmul(alpha);
    }
    // Back to the features as given: the mean includes the shift; the intercept is ȳ (Z is centred).
    for (let j = 0; j < F; j++) mean[j] += this.shift[j];
    return { mean, scale, W: Float64Array.from(W.to1DArray()), intercept: ybar };
  }

  /** Share of fold `f`'s images that `m` classifies correctly (the first largest score wins, as numpy's argmax). */
  accuracy(f: number, m: FoldModel): number {
    const { F, classes: C, labels, features } = this.d;
    const rows = this.foldRows[f];
    const scores = new Float64Array(C);
    let correct = 0;
    for (const r of rows) {
      scores.set(m.intercept);
      for (let j = 0; j < F; j++) {
        const z = (features[r * F + j] - m.mean[j]) / m.scale[j];
        if (z === 0) continue;
        for (let c = 0; c < C; c++) scores[c] += z * m.W[j * C + c];
      }
      let best = 0;
      for (let c = 1; c < C; c++) if (scores[c] > scores[best]) best = c;
      if (best === labels[r]) correct++;
    }
    return correct / rows.length;
  }
}

/** The probe of one layer: k-fold accuracy of the ridge classifier (DESIGN §3). */
export function fitProbe(d: ProbeFitInput): ProbeFit {
  const folds = new ProbeFolds(d);
  const foldAccuracies = Array.from({ length: d.k }, (_, f) => folds.accuracy(f, folds.fit(f)));
  const accuracy = foldAccuracies.reduce((a, b) => a + b, 0) / d.k;
  const std = Math.sqrt(foldAccuracies.reduce((a, b) => a + (b - accuracy) ** 2, 0) / d.k);
  return { foldAccuracies, accuracy, std };
}
