// The probe fit of DESIGN §3 "Linear probe" for one layer: k-fold cross-validation of a ridge
// classifier on standardised features, exactly as scikit-learn's StandardScaler + RidgeClassifier
// (solver "cholesky") compute it. Runs in the compute process (compute-process-tasks.ts): it loads onnxruntime.
//
// One Gram matrix XᵀX serves every fold: a fold's training Gram is the whole one less the fold's
// own rows, and centring and scaling by the training mean and standard deviation are applied to
// it algebraically (Zᵀ Z = D⁻¹ (X_TᵀX_T − n μμᵀ) D⁻¹); likewise Zᵀ Yc from each fold's XᵀY. The
// features are first shifted by their mean over all images (which changes nothing in exact
// arithmetic) so that this subtraction does not cancel away the digits that matter, and stored
// fold by fold so that a fold's rows are one slice. The products run on onnxruntime's Gemm in
// float64 (runtime/gemm.ts); the solve is a Cholesky (cholesky.ts).
import { AppError } from '../../../common/errors.ts';
import { gemm } from '../../runtime/gemm.ts';
import { CHOLESKY_BLOCK, solveRidgeSystem } from './cholesky.ts';

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
  /** The Cholesky's block size (cholesky.ts; tests make it small to check the blocked path). */
  block?: number;
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

/** Bytes of per-fold Gram matrices kept at most: above, a fold's part is computed again when needed. */
const FOLD_GRAMS_BYTES = 256 * 2 ** 20;

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

/** The data of a probe made ready for its folds: shifted features fold by fold, and the one Gram matrix. */
export class ProbeFolds {
  /** Shifted features, the rows of fold 0 first, then fold 1's, …: n × F. */
  private readonly X: Float64Array;
  private readonly shift: Float64Array;
  /** Original row of each row of X. */
  private readonly order: Int32Array;
  /** Rows of X of fold f: start[f] … start[f + 1]. */
  private readonly start: number[];
  readonly foldRows: Int32Array[];
  private G: Float64Array | null = null;
  private readonly foldGrams: Float64Array[] = [];
  /** Per fold, Σ over its rows of xᵣ yᵣᵀ (F×C), with yᵣ the ±1 targets. */
  private readonly foldXY: Float64Array[] = [];

  constructor(private readonly d: ProbeFitInput) {
    checkProbeInput(d);
    const { n, F, k, folds } = d;
    const rows: number[][] = Array.from({ length: k }, () => []);
    for (let r = 0; r < n; r++) rows[folds[r]].push(r);
    this.foldRows = rows.map((r) => Int32Array.from(r));
    this.order = Int32Array.from(rows.flat());
    this.start = [0];
    for (const r of rows) this.start.push(this.start[this.start.length - 1] + r.length);
    // Shifted by the overall column means (float64): exact algebra, fewer cancelled digits below.
    this.shift = new Float64Array(F);
    for (let r = 0; r < n; r++) for (let j = 0; j < F; j++) this.shift[j] += d.features[r * F + j];
    for (let j = 0; j < F; j++) this.shift[j] /= n;
    this.X = new Float64Array(n * F);
    this.order.forEach((r, i) => {
      for (let j = 0; j < F; j++) this.X[i * F + j] = d.features[r * F + j] - this.shift[j];
    });
  }

  /** Fold f's rows of X, as a matrix over a slice of it. */
  private foldX(f: number) {
    const { F } = this.d;
    return { data: this.X.subarray(this.start[f] * F, this.start[f + 1] * F), rows: this.start[f + 1] - this.start[f], cols: F };
  }

  private async foldGram(f: number): Promise<Float64Array> {
    const X = this.foldX(f);
    return this.foldGrams[f] ?? (await gemm(X, X, { transA: true })).data;
  }

  /**
   * The one Gram matrix of all rows (both triangles), built as the sum of the folds' own, of which
   * those that fit in FOLD_GRAMS_BYTES are kept (such a fold's part is subtracted at no further cost).
   */
  private async gram(): Promise<Float64Array> {
    if (!this.G) {
      const { F, k, labels, classes: C } = this.d;
      const G = new Float64Array(F * F);
      for (let f = 0; f < k; f++) {
        const Gf = await this.foldGram(f);
        for (let i = 0; i < G.length; i++) G[i] += Gf[i];
        // As many as the budget holds: each kept one saves computing it again in its fold's fit.
        if ((f + 1) * F * F * 8 <= FOLD_GRAMS_BYTES) this.foldGrams[f] = Gf;
        const X = this.foldX(f);
        const Y = new Float64Array(X.rows * C);
        for (let i = 0; i < X.rows; i++) for (let c = 0; c < C; c++) Y[i * C + c] = target(labels[this.order[this.start[f] + i]], c);
        this.foldXY[f] = (await gemm(X, { data: Y, rows: X.rows, cols: C }, { transA: true })).data;
      }
      this.G = G;
    }
    return this.G;
  }

  /** The classifier trained on every fold but `f`. */
  async fit(f: number): Promise<FoldModel> {
    const { n, F, k, classes: C, lambda, labels } = this.d;
    const X = this.X;
    const train = Int32Array.from({ length: n - (this.start[f + 1] - this.start[f]) }, (_, i) => (i < this.start[f] ? i : i + this.start[f + 1] - this.start[f]));
    const nT = train.length;
    const { mean, scale } = standardScale(X, F, train);
    const ybar = new Float64Array(C);
    for (const r of train) for (let c = 0; c < C; c++) ybar[c] += target(labels[this.order[r]], c);
    for (let c = 0; c < C; c++) ybar[c] /= nT;
    let W: Float64Array;
    const block = this.d.block ?? CHOLESKY_BLOCK;
    if (F <= nT) {
      // Primal: the fold's training Gram from the whole one, centred and scaled.
      const A = Float64Array.from(await this.gram());
      const Gf = await this.foldGram(f);
      for (let i = 0; i < F; i++) {
        for (let j = i; j < F; j++) {
          const v = (A[i * F + j] - Gf[i * F + j] - nT * mean[i] * mean[j]) / (scale[i] * scale[j]);
          A[i * F + j] = v;
          A[j * F + i] = v;
        }
      }
      // ZᵀYc = D⁻¹ (Σ over training rows of xᵣ yᵣᵀ − nT μ ȳᵀ): the centred targets sum to 0.
      const B = new Float64Array(F * C);
      for (let g = 0; g < k; g++) if (g !== f) for (let i = 0; i < B.length; i++) B[i] += this.foldXY[g][i];
      for (let j = 0; j < F; j++) for (let c = 0; c < C; c++) B[j * C + c] = (B[j * C + c] - nT * mean[j] * ybar[c]) / scale[j];
      W = await solveRidgeSystem(A, F, B, C, lambda, this.d.layer, block);
    } else {
      // Dual (more features than training images), as scikit-learn's kernel solve: W = Zᵀ (ZZᵀ + λI)⁻¹ Yc.
      const Z = new Float64Array(nT * F);
      train.forEach((r, i) => {
        for (let j = 0; j < F; j++) Z[i * F + j] = (X[r * F + j] - mean[j]) / scale[j];
      });
      const Zm = { data: Z, rows: nT, cols: F };
      const K = (await gemm(Zm, Zm, { transB: true })).data;
      const Yc = new Float64Array(nT * C);
      train.forEach((r, i) => {
        for (let c = 0; c < C; c++) Yc[i * C + c] = target(labels[this.order[r]], c) - ybar[c];
      });
      const alpha = await solveRidgeSystem(K, nT, Yc, C, lambda, this.d.layer, block);
      W = (await gemm(Zm, { data: alpha, rows: nT, cols: C }, { transA: true })).data;
    }
    // Back to the features as given: the mean includes the shift; the intercept is ȳ (Z is centred).
    for (let j = 0; j < F; j++) mean[j] += this.shift[j];
    return { mean, scale, W, intercept: ybar };
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
export async function fitProbe(d: ProbeFitInput): Promise<ProbeFit> {
  const folds = new ProbeFolds(d);
  const foldAccuracies: number[] = [];
  for (let f = 0; f < d.k; f++) foldAccuracies.push(folds.accuracy(f, await folds.fit(f)));
  const accuracy = foldAccuracies.reduce((a, b) => a + b, 0) / d.k;
  const std = Math.sqrt(foldAccuracies.reduce((a, b) => a + (b - accuracy) ** 2, 0) / d.k);
  return { foldAccuracies, accuracy, std };
}
