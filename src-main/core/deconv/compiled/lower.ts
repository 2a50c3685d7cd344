// One reverse step → ONNX nodes. Each lowering reproduces the TypeScript engine's step exactly
// (reverse.ts and the kernels), over a batch of starting signals: tensors here are [N, ...dims].
// Where an exact expression is not possible the lowering throws Unsupported, and the caller falls
// back to the TypeScript engine.
import type { AttrInput } from '../../onnx/protos.ts';
import { floatAttr } from '../../onnx/protos.ts';
import type { WindowGeometry } from '../kernels/types.ts';
import type { ReverseStep } from '../plan.ts';
import { resolveWindow } from '../reverse.ts';

/** A step the compiled path cannot express exactly; the message says which and why. */
export class Unsupported extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Unsupported';
  }
}

/** What a lowering can ask of the graph being built. */
export interface Emitter {
  /** Starting signals per run: the leading dim of every signal tensor. */
  readonly batch: number;
  /** Per-sample dims of a forward tensor (the batch excluded), as the forward pass produced it. */
  dims(tensor: string): number[];
  /** Adds a node; returns its output names. */
  op(op: string, inputs: string[], attrs?: Record<string, AttrInput>, outputs?: number): string[];
  /** A float constant (the same array twice becomes one initializer). */
  floats(dims: number[], data: Float32Array): string;
  /** An int64 constant; 1-D unless dims are given. */
  ints(values: number[], dims?: number[]): string;
  /** The graph input holding a MaxPool's switches, as int64 [1 or N, C, h, w]. */
  switches(tensor: string, pooledDims: number[]): string;
  /** The graph input holding a squeeze-excitation gate's forward value, float [1 or N, C, 1, 1]. */
  gate(tensor: string, dims: number[]): string;
}

/** A reverse contribution: `value` (a compiled tensor) adds into forward tensor `tensor`'s signal. */
export type Contribution = [tensor: string, value: string];

const numel = (d: readonly number[]): number => d.reduce((a, b) => a * b, 1);
const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * A ConvTranspose that undoes a forward window op exactly. With the forward's begin pad pb, the
 * transposed output is s·(h − 1) + kEff − pb + output_padding − end pad long; the forward op
 * floor-divided (or, for ceil-mode pools, overshot), so reaching exactly H needs either
 * output_padding (always < stride) or a larger end pad. The CUDA provider sends ConvTranspose
 * with asymmetric pads to the CPU, so the pads stay symmetric (q ≤ pb on both sides); where that
 * cannot land on H exactly, a Slice takes the H positions that start at pb.
 */
export function emitConvTranspose(e: Emitter, x: string, w: string, g: WindowGeometry, group: number, outHW: [number, number], inHW: [number, number]): string {
  const q = [0, 0];
  const outputPadding = [0, 0];
  const starts = [0, 0];
  const ends = [0, 0];
  let crop = false;
  for (const a of [0, 1]) {
    const kEff = g.dilations[a] * (g.kernel[a] - 1) + 1;
    const shortfall = inHW[a] - (g.strides[a] * (outHW[a] - 1) + kEff - g.padBegin[a]);
    // Symmetric forward pads always take the first branch (pb + shortfall is the forward's remainder).
    const exact = g.padBegin[a] + shortfall;
    q[a] = exact >= 0 && exact < g.strides[a] ? g.padBegin[a] : Math.min(g.padBegin[a], Math.max(0, -shortfall));
    outputPadding[a] = Math.max(0, q[a] + shortfall);
    if (outputPadding[a] >= g.strides[a]) throw new Unsupported(`output padding ${outputPadding[a]} would not be below the stride ${g.strides[a]}`);
    const length = g.strides[a] * (outHW[a] - 1) + kEff + outputPadding[a] - 2 * q[a];
    starts[a] = g.padBegin[a] - q[a];
    ends[a] = starts[a] + inHW[a];
    if (starts[a] !== 0 || ends[a] !== length) crop = true;
  }
  const attrs = { kernel_shape: g.kernel, strides: g.strides, dilations: g.dilations, pads: [...q, ...q], output_padding: outputPadding, group };
  const y = e.op('ConvTranspose', [x, w], attrs)[0];
  return crop ? e.op('Slice', [y, e.ints(starts), e.ints(ends), e.ints([2, 3])])[0] : y;
}

/**
 * The forward count behind each AveragePool output, along one axis (the 2-D count is the product
 * of the two axes'): positions inside the input, or with count_include_pad inside the padded
 * extent — the same arithmetic as kernels/average-pool-backward.ts.
 */
function windowCounts(outLen: number, inLen: number, k: number, s: number, d: number, pb: number, pe: number, includePad: boolean): number[] {
  return Array.from({ length: outLen }, (_, o) => {
    const i0 = o * s - pb;
    const lo = includePad ? (i0 >= -pb ? 0 : Math.ceil((-pb - i0) / d)) : i0 >= 0 ? 0 : Math.ceil(-i0 / d);
    const hi = Math.min(k - 1, Math.floor(((includePad ? inLen + pe : inLen) - 1 - i0) / d));
    return Math.max(0, hi - lo + 1);
  });
}

export function lowerStep(e: Emitter, step: ReverseStep, x: string): Contribution[] {
  const fail = (why: string): never => {
    throw new Unsupported(`node "${step.node}" (${step.op}): ${why}`);
  };
  const fromDims = e.dims(step.from);
  const dims3 = (t: string): [number, number, number] => {
    const d = e.dims(t);
    if (d.length !== 3) fail(`"${t}" is [N, ${d.join(', ')}], not N×C×H×W`);
    return [d[0], d[1], d[2]];
  };
  const N = e.batch;
  const reshape = (t: string, dims: number[]) => e.op('Reshape', [t, e.ints(dims)])[0];

  switch (step.kind) {
    case 'relu':
      // The deconvnet's rule: rectify the reverse signal itself; the forward mask plays no part.
      return [[step.to[0], e.op('Relu', [x])[0]]];
    case 'identity':
    case 'reshape': {
      const to = e.dims(step.to[0]);
      if (numel(to) !== numel(fromDims)) fail(`sizes [${fromDims.join(', ')}] and [${to.join(', ')}] differ`);
      return [[step.to[0], same(to, fromDims) ? x : reshape(x, [N, ...to])]];
    }
    case 'transposeBackward': {
      const to = e.dims(step.to[0]);
      if (step.perm.length !== fromDims.length || to.length !== fromDims.length || step.perm.some((p, a) => to[p] !== fromDims[a])) fail('perm and shapes do not match the forward pass');
      // The inverse permutation, the batch axis staying first.
      const inverse = [0, ...to.map((_, a) => step.perm.indexOf(a) + 1)];
      return [[step.to[0], e.op('Transpose', [x], { perm: inverse })[0]]];
    }
    case 'convTranspose': {
      const dy = dims3(step.from);
      const xd = dims3(step.to[0]);
      const { g, out } = resolveWindow(step.window, xd[1], xd[2]);
      const [M, CG] = step.weightDims;
      if (dy[0] !== M || xd[0] !== CG * step.group || out[0] !== dy[1] || out[1] !== dy[2]) fail('weights, group and shapes do not match the forward pass');
      const w = e.floats([...step.weightDims], step.weights);
      return [[step.to[0], emitConvTranspose(e, x, w, g, step.group, [dy[1], dy[2]], [xd[1], xd[2]])]];
    }
    case 'maxUnpool': {
      const dy = dims3(step.from);
      const xd = dims3(step.to[0]);
      const { out } = resolveWindow(step.window, xd[1], xd[2]);
      if (xd[0] !== dy[0] || out[0] !== dy[1] || out[1] !== dy[2]) fail('pool window and shapes do not match the forward pass');
      // Not MaxUnpool: onnxruntime's MaxUnpool assigns, so where overlapping windows (3/2 pools)
      // share a winner only one value survives, while the gradient (and the engine) adds them;
      // it also rejects ceil-mode pools' sizes, and the CUDA provider has no kernel for it.
      // ScatterElements with reduction 'add' is the unpooling exactly, on CPU and CUDA.
      // Indices are flat over the forward batch; Mod makes them per-sample, whatever row of the
      // forward batch they came from, then each signal's row gets its offset.
      const size = numel(xd);
      let idx = e.op('Mod', [e.switches(step.switches, dy), e.ints([size])])[0];
      if (N > 1) idx = e.op('Add', [idx, e.ints(Array.from({ length: N }, (_, b) => b * size), [N, 1, 1, 1])])[0];
      const zeros = e.op('ConstantOfShape', [e.ints([N * size])])[0];
      const flat = e.op('ScatterElements', [zeros, reshape(idx, [-1]), reshape(x, [-1])], { axis: 0, reduction: 'add' })[0];
      return [[step.to[0], reshape(flat, [N, ...xd])]];
    }
    case 'averagePoolBackward': {
      const dy = dims3(step.from);
      const xd = dims3(step.to[0]);
      const { g, out } = resolveWindow(step.window, xd[1], xd[2]);
      if (xd[0] !== dy[0] || out[0] !== dy[1] || out[1] !== dy[2]) fail('pool window and shapes do not match the forward pass');
      // dy / count, then every window position gets it: a depthwise ConvTranspose with a kernel of
      // ones. Positions outside the input fall in the cropped border, as the kernel skips them. A
      // count of 0 only occurs for windows wholly outside the input, whose writes are cropped too.
      const rows = windowCounts(dy[1], xd[1], g.kernel[0], g.strides[0], g.dilations[0], g.padBegin[0], g.padEnd[0], step.countIncludePad);
      const cols = windowCounts(dy[2], xd[2], g.kernel[1], g.strides[1], g.dilations[1], g.padBegin[1], g.padEnd[1], step.countIncludePad);
      const counts = Float32Array.from({ length: dy[1] * dy[2] }, (_, i) => Math.max(1, rows[Math.floor(i / dy[2])] * cols[i % dy[2]]));
      const shares = e.op('Div', [x, e.floats([1, 1, dy[1], dy[2]], counts)])[0];
      const ones = e.floats([dy[0], 1, g.kernel[0], g.kernel[1]], new Float32Array(dy[0] * g.kernel[0] * g.kernel[1]).fill(1));
      return [[step.to[0], emitConvTranspose(e, shares, ones, g, dy[0], [dy[1], dy[2]], [xd[1], xd[2]])]];
    }
    case 'globalAveragePoolBackward': {
      const to = e.dims(step.to[0]);
      if (fromDims[0] !== to[0] || numel(fromDims) !== to[0]) fail('shapes do not match the forward pass');
      const spatial = numel(to) / to[0];
      const share = e.op('Div', [reshape(x, [N, to[0], ...to.slice(1).map(() => 1)]), e.floats([1], Float32Array.of(spatial))])[0];
      return [[step.to[0], e.op('Expand', [share, e.ints([N, ...to])])[0]]];
    }
    case 'batchNormalizationScale': {
      const C = fromDims[0];
      if (step.scale.length !== C) fail(`${step.scale.length} scales and ${C} channels`);
      return [[step.to[0], e.op('Mul', [x, e.floats([1, C, ...fromDims.slice(1).map(() => 1)], step.scale)])[0]]];
    }
    case 'gateScale': {
      const to = e.dims(step.to[0]);
      const g = e.dims(step.gate);
      if (!same(to, fromDims) || g.length !== fromDims.length || g[0] !== fromDims[0] || g.slice(1).some((v) => v !== 1)) {
        fail(`the gate "${step.gate}" [${g.join(', ')}] is not per channel (C×1×1) of the gated [${to.join(', ')}]`);
      }
      // The gate's forward value is an input, so its branch has no path back, as in the engine.
      return [[step.to[0], e.op('Mul', [x, e.gate(step.gate, g)])[0]]];
    }
    case 'gemmTranspose': {
      const to = e.dims(step.to[0]);
      const [K, M] = step.transB ? [step.weightDims[1], step.weightDims[0]] : step.weightDims;
      const rows = numel(to) / K;
      if (to[to.length - 1] !== K || fromDims[fromDims.length - 1] !== M || numel(fromDims) !== rows * M) fail('weights and shapes do not match the forward pass');
      // dy · B'ᵀ without copying the weights: Gemm transposes the stored matrix when it is [K, M].
      const a = fromDims.length === 1 ? x : reshape(x, [N * rows, M]);
      const attrs: Record<string, AttrInput> = { transB: step.transB ? 0 : 1 };
      if (step.alpha !== 1) attrs.alpha = floatAttr(step.alpha);
      const y = e.op('Gemm', [a, e.floats([...step.weightDims], step.weights)], attrs)[0];
      return [[step.to[0], to.length === 1 ? y : reshape(y, [N, ...to])]];
    }
    case 'addBackward':
      return step.to.map((t): Contribution => {
        const to = e.dims(t);
        if (same(to, fromDims)) return [t, x];
        // A broadcast input: sum over the axes it was broadcast along (right-aligned, size 1 or missing).
        const lead = fromDims.length - to.length;
        if (lead < 0) fail(`input "${t}" has more axes than the output`);
        const axes: number[] = [];
        fromDims.forEach((d, a) => {
          const td = a < lead ? 1 : to[a - lead];
          if (td === 1 && d !== 1) axes.push(a + 1);
          else if (td !== d) fail(`input "${t}" [${to.join(', ')}] does not broadcast to [${fromDims.join(', ')}]`);
        });
        const reduced = axes.length ? e.op('ReduceSum', [x, e.ints(axes)], { keepdims: 1 })[0] : x;
        return [t, reshape(reduced, [N, ...to])];
      });
    case 'padBackward': {
      const dy = dims3(step.from);
      const xd = dims3(step.to[0]);
      if (step.begin.length !== 3 || xd.some((v, a) => v + step.begin[a] + step.end[a] !== dy[a])) fail(`pads [${step.begin}, ${step.end}] and shapes do not match`);
      // The forward Pad's positive pads are cropped here (Slice), its negative ones (crops) refilled with zeros (Pad).
      const starts = step.begin.map((p) => Math.max(0, p));
      const ends = dy.map((d, a) => d - Math.max(0, step.end[a]));
      let y = e.op('Slice', [x, e.ints(starts), e.ints(ends), e.ints([1, 2, 3])])[0];
      const refill = [0, ...step.begin.map((p) => Math.max(0, -p)), 0, ...step.end.map((p) => Math.max(0, -p))];
      if (refill.some((p) => p > 0)) y = e.op('Pad', [y, e.ints(refill)], { mode: 'constant' })[0];
      return [[step.to[0], y]];
    }
    case 'concatSplit': {
      const axis = step.axis < 0 ? step.axis + fromDims.length + 1 : step.axis;
      if (axis < 1) fail('it joins along the batch axis');
      const sizes = step.parts.map((p) => e.dims(p.tensor)[axis - 1]);
      if (sizes.reduce((a, b) => a + b, 0) !== fromDims[axis - 1]) fail('the inputs\' sizes along the axis do not add up');
      const pieces = e.op('Split', [x, e.ints(sizes)], { axis }, sizes.length);
      return step.parts.flatMap((p, i): Contribution[] => (p.onPath ? [[p.tensor, pieces[i]]] : []));
    }
  }
}
