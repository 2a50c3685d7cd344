// Dense float64 matrix products on onnxruntime's Gemm (MLAS kernels, every core) for the probe fit's
// heavy steps: Gram matrices of 10,000 × 4,096 features and the blocked Cholesky updates (issue 16's
// speed target). A tiny one-node graph per kind of product, built once per thread and kept.
// Float64 throughout: the fit must stay scikit-learn's ridge to 1e-9, which float32 cannot carry.
import * as ort from 'onnxruntime-node';
import { TensorProto_DataType } from 'onnx-buf';
import { floatAttr, GraphBuilder } from '../onnx/index.ts';

/** A row-major matrix: `data` holds rows × cols values (a view into a larger buffer is fine). */
export interface Mat {
  data: Float64Array;
  rows: number;
  cols: number;
}

export interface GemmOptions {
  transA?: boolean;
  transB?: boolean;
  /** Added as beta·C (rows × cols of the result). */
  C?: Mat;
  alpha?: number;
  beta?: number;
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();

function session(transA: boolean, transB: boolean, withC: boolean, alpha: number, beta: number): Promise<ort.InferenceSession> {
  const key = `${+transA}${+transB}${+withC}|${alpha}|${beta}`;
  let s = sessions.get(key);
  if (!s) {
    const g = new GraphBuilder({ opset: 13 });
    const D = TensorProto_DataType.DOUBLE;
    const a = g.input('a', ['m', 'k'], D);
    const b = g.input('b', ['k2', 'n'], D);
    const inputs = [a, b];
    if (withC) inputs.push(g.input('c', ['m2', 'n2'], D));
    const y = g.node('Gemm', inputs, { transA: +transA, transB: +transB, alpha: floatAttr(alpha), beta: floatAttr(beta) }, 1, { types: [D] })[0];
    g.output(y, 'y');
    s = ort.InferenceSession.create(g.build(), { graphOptimizationLevel: 'disabled' });
    // A failed create is not kept: the next product tries again.
    s.catch(() => sessions.delete(key));
    sessions.set(key, s);
  }
  return s;
}

const tensor = (m: Mat) => new ort.Tensor('float64', m.data.length === m.rows * m.cols ? m.data : m.data.subarray(0, m.rows * m.cols), [m.rows, m.cols]);

/** alpha·op(A)·op(B) + beta·C, with op a transpose where asked (ONNX Gemm). */
export async function gemm(A: Mat, B: Mat, o: GemmOptions = {}): Promise<Mat> {
  const transA = o.transA ?? false;
  const transB = o.transB ?? false;
  const [m, k] = transA ? [A.cols, A.rows] : [A.rows, A.cols];
  const [k2, n] = transB ? [B.cols, B.rows] : [B.rows, B.cols];
  if (k !== k2) throw new RangeError(`gemm: inner dimensions differ (${k} and ${k2})`);
  if (o.C && (o.C.rows !== m || o.C.cols !== n)) throw new RangeError(`gemm: C is ${o.C.rows}×${o.C.cols}, not ${m}×${n}`);
  const s = await session(transA, transB, Boolean(o.C), o.alpha ?? 1, o.beta ?? 1);
  const feeds: Record<string, ort.Tensor> = { a: tensor(A), b: tensor(B) };
  if (o.C) feeds.c = tensor(o.C);
  const out = await s.run(feeds);
  return { data: out.y.data as Float64Array, rows: m, cols: n };
}

let stepSession: Promise<ort.InferenceSession> | null = null;

/**
 * One step of a right-looking blocked Cholesky on the trailing matrix T (m×m) whose leading b×b
 * block is L_kk L_kkᵀ, given L_kk⁻¹: the panel L_rk = T[b:, :b] · L_kk⁻ᵀ and the next trailing
 * matrix T[b:, b:] − L_rk L_rkᵀ. The slicing happens in onnxruntime too: copying the trailing
 * matrix out in JS cost as much as the products.
 */
export async function choleskyStep(T: Mat, inv: Mat): Promise<{ panel: Mat; trailing: Mat }> {
  const m = T.rows;
  const b = inv.rows;
  if (T.cols !== m || inv.cols !== b || b >= m) throw new RangeError(`choleskyStep: T is ${T.rows}×${T.cols}, the block ${inv.rows}×${inv.cols}`);
  if (!stepSession) {
    const g = new GraphBuilder({ opset: 13 });
    const D = TensorProto_DataType.DOUBLE;
    const I = TensorProto_DataType.INT64;
    const t = g.input('t', ['m', 'm'], D);
    const l = g.input('inv', ['b', 'b'], D);
    const [s1, e1, s2, e2] = ['s1', 'e1', 's2', 'e2'].map((n) => g.input(n, [2], I));
    const ark = g.node('Slice', [t, s1, e1], {}, 1, { types: [D] })[0];
    const arr = g.node('Slice', [t, s2, e2], {}, 1, { types: [D] })[0];
    const panel = g.node('Gemm', [ark, l], { transB: 1 }, 1, { types: [D] })[0];
    const next = g.node('Gemm', [panel, panel, arr], { transB: 1, alpha: floatAttr(-1), beta: floatAttr(1) }, 1, { types: [D] })[0];
    g.output(panel, 'panel');
    g.output(next, 'trailing');
    stepSession = ort.InferenceSession.create(g.build(), { graphOptimizationLevel: 'disabled' });
    stepSession.catch(() => (stepSession = null));
  }
  const s = await stepSession;
  const i64 = (a: number, c: number) => new ort.Tensor('int64', BigInt64Array.from([BigInt(a), BigInt(c)]), [2]);
  const out = await s.run({ t: tensor(T), inv: tensor(inv), s1: i64(b, 0), e1: i64(m, b), s2: i64(b, b), e2: i64(m, m) });
  const r = m - b;
  return { panel: { data: out.panel.data as Float64Array, rows: r, cols: b }, trailing: { data: out.trailing.data as Float64Array, rows: r, cols: r } };
}
