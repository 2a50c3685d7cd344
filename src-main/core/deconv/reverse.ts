// The op half of the op/kernel split (DESIGN §1): for each reverse step, check shapes against
// the forward pass, resolve padding, allocate or reuse the target buffer, work out the box the
// result can be non-zero in, and call the kernel.
import { windowOutput } from '../onnx/receptive-field.ts';
import { badRequest } from './errors.ts';
import type { Box, Dims3, Kernels, WindowGeometry } from './kernels/types.ts';
import type { PlanWindow, ReverseStep } from './plan.ts';

/** A reverse signal: one sample's tensor, and (for C×H×W maps) where it can be non-zero; null = anywhere. */
export interface Signal {
  data: Float32Array;
  box: Box | null;
}

/** One sample's switches, validated: Int32 indices and the offsets that select the sample. */
export interface SampleSwitches {
  data: Int32Array;
  switchBase: number;
  indexBase: number;
}

export interface StepEnv {
  kernels: Kernels;
  /** False: every box is the whole tensor (the reference the fast path is tested against). */
  fast: boolean;
  /** Per-sample dims of a tensor on the path. */
  dims(tensor: string): number[];
  /** Switches for the sample, given the per-sample sizes of the pool's input and output. */
  switches(name: string, inputSize: number, outputSize: number): SampleSwitches;
  /** The sample's forward value of a squeeze-excitation gate (N×C×1×1): C values. */
  gate(name: string, channels: number): Float32Array;
}

export const numel = (dims: number[]): number => dims.reduce((a, b) => a * b, 1);

export function union(a: Box | null, b: Box | null): Box | null {
  if (!a || !b) return null;
  if (a.y1 < a.y0 || a.x1 < a.x0) return b;
  if (b.y1 < b.y0 || b.x1 < b.x0) return a;
  return { y0: Math.min(a.y0, b.y0), x0: Math.min(a.x0, b.x0), y1: Math.max(a.y1, b.y1), x1: Math.max(a.x1, b.x1) };
}

const whole = (d: Dims3): Box => ({ y0: 0, x0: 0, y1: d[1] - 1, x1: d[2] - 1 });

/** Padding resolved for an input of H×W (auto_pad), and the output size the forward op produced. */
export function resolveWindow(w: PlanWindow, H: number, W: number): { g: WindowGeometry; out: [number, number] } {
  const lens = [H, W];
  const padBegin: [number, number] = [0, 0];
  const padEnd: [number, number] = [0, 0];
  const out: [number, number] = [0, 0];
  for (const a of [0, 1] as const) {
    const kEff = w.dilations[a] * (w.kernel[a] - 1) + 1;
    let pb = w.pads[a];
    let pe = w.pads[a + 2];
    if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') {
      const total = Math.max((Math.ceil(lens[a] / w.strides[a]) - 1) * w.strides[a] + kEff - lens[a], 0);
      pb = w.autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
      pe = total - pb;
    } else if (w.autoPad === 'VALID') {
      pb = pe = 0;
    }
    padBegin[a] = pb;
    padEnd[a] = pe;
    out[a] = windowOutput(lens[a], w.kernel[a], w.strides[a], w.dilations[a], pb, pe, w.autoPad, w.ceilMode).length;
  }
  return { g: { kernel: w.kernel, strides: w.strides, dilations: w.dilations, padBegin, padEnd }, out };
}

/** Input positions the windows of `box` touch: where a window op's reverse can write. */
function windowBox(box: Box, g: WindowGeometry, H: number, W: number): Box {
  if (box.y1 < box.y0 || box.x1 < box.x0) return box;
  return {
    y0: Math.max(0, box.y0 * g.strides[0] - g.padBegin[0]),
    x0: Math.max(0, box.x0 * g.strides[1] - g.padBegin[1]),
    y1: Math.min(H - 1, box.y1 * g.strides[0] - g.padBegin[0] + g.dilations[0] * (g.kernel[0] - 1)),
    x1: Math.min(W - 1, box.x1 * g.strides[1] - g.padBegin[1] + g.dilations[1] * (g.kernel[1] - 1)),
  };
}

export class ReverseRun {
  private readonly signals = new Map<string, Signal>();

  constructor(private readonly env: StepEnv) {}

  set(tensor: string, signal: Signal): void {
    this.signals.set(tensor, signal);
  }

  get(tensor: string): Signal | undefined {
    return this.signals.get(tensor);
  }

  /** Hands `data` to `tensor`: becomes its buffer if it has none, else is added into it. */
  private give(tensor: string, data: Float32Array, box: Box | null): void {
    const cur = this.signals.get(tensor);
    if (!cur) {
      this.signals.set(tensor, { data, box });
      return;
    }
    this.env.kernels.sum(data, cur.data);
    cur.box = union(cur.box, box);
  }

  /** `tensor`'s accumulation buffer, zeros on first use; widens its box. */
  private target(tensor: string, box: Box | null): Float32Array {
    const cur = this.signals.get(tensor);
    if (cur) {
      cur.box = union(cur.box, box);
      return cur.data;
    }
    const data = new Float32Array(numel(this.env.dims(tensor)));
    this.signals.set(tensor, { data, box });
    return data;
  }

  private dims3(step: ReverseStep, tensor: string): Dims3 {
    const d = this.env.dims(tensor);
    if (d.length !== 3) throw badRequest(`node "${step.node}" (${step.op}): "${tensor}" is [N, ${d.join(', ')}], not N×C×H×W`, { node: step.node, tensor });
    return [d[0], d[1], d[2]];
  }

  private mismatch(step: ReverseStep, what: string): never {
    throw badRequest(`node "${step.node}" (${step.op}): ${what} do not match the forward pass`, { node: step.node });
  }

  run(step: ReverseStep): void {
    const sig = this.signals.get(step.from);
    if (!sig) return; // no signal reached this node's output
    this.signals.delete(step.from);
    const { kernels: k, fast } = this.env;
    const fromDims = this.env.dims(step.from);
    const boxIn = (d: Dims3): Box => (fast && sig.box ? sig.box : whole(d));

    switch (step.kind) {
      case 'relu': {
        const d = fromDims.length === 3 ? (fromDims as Dims3) : ([1, 1, sig.data.length] as Dims3);
        k.relu(sig.data, d, boxIn(d), sig.data);
        this.give(step.to[0], sig.data, sig.box);
        return;
      }
      case 'identity':
      case 'reshape': {
        const toDims = this.env.dims(step.to[0]);
        if (numel(toDims) !== sig.data.length) this.mismatch(step, `sizes [${fromDims.join(', ')}] and [${toDims.join(', ')}]`);
        const same = toDims.length === fromDims.length && toDims.every((v, i) => v === fromDims[i]);
        this.give(step.to[0], sig.data, same ? sig.box : null);
        return;
      }
      case 'transposeBackward': {
        const toDims = this.env.dims(step.to[0]);
        if (step.perm.length !== fromDims.length || toDims.length !== fromDims.length || step.perm.some((p, a) => toDims[p] !== fromDims[a])) {
          this.mismatch(step, `perm [0, ${step.perm.map((p) => p + 1).join(', ')}] and shapes [${toDims.join(', ')}] → [${fromDims.join(', ')}]`);
        }
        k.transposeBackward(sig.data, fromDims, step.perm, this.target(step.to[0], null));
        return;
      }
      case 'convTranspose': {
        const dy = this.dims3(step, step.from);
        const x = this.dims3(step, step.to[0]);
        const { g, out } = resolveWindow(step.window, x[1], x[2]);
        const [M, CG] = step.weightDims;
        if (dy[0] !== M || x[0] !== CG * step.group || out[0] !== dy[1] || out[1] !== dy[2]) this.mismatch(step, `weights [${step.weightDims.join(', ')}], group ${step.group} and shapes`);
        const box = boxIn(dy);
        const buf = this.target(step.to[0], fast ? windowBox(box, g, x[1], x[2]) : null);
        k.convTranspose(sig.data, dy, step.weights, step.weightDims, step.group, g, buf, x, box);
        return;
      }
      case 'maxUnpool': {
        const dy = this.dims3(step, step.from);
        const x = this.dims3(step, step.to[0]);
        const { g, out } = resolveWindow(step.window, x[1], x[2]);
        if (x[0] !== dy[0] || out[0] !== dy[1] || out[1] !== dy[2]) this.mismatch(step, 'pool window and shapes');
        const sw = this.env.switches(step.switches, numel(x), sig.data.length);
        const box = boxIn(dy);
        const buf = this.target(step.to[0], fast ? windowBox(box, g, x[1], x[2]) : null);
        k.maxUnpool(sig.data, dy, sw.data, sw.switchBase, sw.indexBase, buf, box);
        return;
      }
      case 'averagePoolBackward': {
        const dy = this.dims3(step, step.from);
        const x = this.dims3(step, step.to[0]);
        const { g, out } = resolveWindow(step.window, x[1], x[2]);
        if (x[0] !== dy[0] || out[0] !== dy[1] || out[1] !== dy[2]) this.mismatch(step, 'pool window and shapes');
        const box = boxIn(dy);
        const buf = this.target(step.to[0], fast ? windowBox(box, g, x[1], x[2]) : null);
        k.averagePoolBackward(sig.data, dy, g, step.countIncludePad, buf, x, box);
        return;
      }
      case 'globalAveragePoolBackward': {
        const x = this.env.dims(step.to[0]);
        if (fromDims[0] !== x[0] || sig.data.length !== x[0]) this.mismatch(step, 'shapes');
        k.globalAveragePoolBackward(sig.data, x[0], numel(x) / x[0], this.target(step.to[0], null));
        return;
      }
      case 'batchNormalizationScale': {
        const C = fromDims[0];
        if (step.scale.length !== C) this.mismatch(step, `${step.scale.length} scales and ${C} channels`);
        k.batchNormalizationScale(sig.data, C, sig.data.length / C, step.scale, this.target(step.to[0], sig.box));
        return;
      }
      case 'gateScale': {
        // Mul(x, g)'s gradient to x with g held at its forward value: per channel, as BN's scale.
        const x = this.env.dims(step.to[0]);
        const g = this.env.dims(step.gate);
        if (x.length !== fromDims.length || x.some((v, a) => v !== fromDims[a]) || g.length !== fromDims.length || g[0] !== fromDims[0] || g.slice(1).some((v) => v !== 1)) {
          this.mismatch(step, `the gate "${step.gate}" [${g.join(', ')}] (per channel, C×1×1) and the gated [${x.join(', ')}]`);
        }
        const C = fromDims[0];
        k.batchNormalizationScale(sig.data, C, sig.data.length / C, this.env.gate(step.gate, C), this.target(step.to[0], sig.box));
        return;
      }
      case 'gemmTranspose': {
        const x = this.env.dims(step.to[0]);
        const [K, M] = step.transB ? [step.weightDims[1], step.weightDims[0]] : step.weightDims;
        const rows = numel(x) / K;
        if (x[x.length - 1] !== K || fromDims[fromDims.length - 1] !== M || sig.data.length !== rows * M) this.mismatch(step, `weights [${step.weightDims.join(', ')}] and shapes`);
        k.gemmTranspose(sig.data, rows, M, step.weights, K, step.transB, step.alpha, this.target(step.to[0], null));
        return;
      }
      case 'addBackward': {
        step.to.forEach((t, i) => {
          const x = this.env.dims(t);
          const same = x.length === fromDims.length && x.every((v, a) => v === fromDims[a]);
          if (same) {
            // The last input may take the buffer itself; the others get copies.
            this.give(t, i === step.to.length - 1 ? sig.data : sig.data.slice(), sig.box);
          } else {
            k.reduceToShape(sig.data, fromDims, this.target(t, null), x);
          }
        });
        return;
      }
      case 'padBackward': {
        const dy = this.dims3(step, step.from);
        const x = this.dims3(step, step.to[0]);
        if (step.begin.length !== 3 || x.some((v, a) => v + step.begin[a] + step.end[a] !== dy[a])) this.mismatch(step, `pads [${step.begin}, ${step.end}] and shapes`);
        const begin = step.begin as Dims3;
        const box = boxIn(dy);
        const shifted = box.y1 < box.y0 ? box : { y0: Math.max(0, box.y0 - begin[1]), x0: Math.max(0, box.x0 - begin[2]), y1: Math.min(x[1] - 1, box.y1 - begin[1]), x1: Math.min(x[2] - 1, box.x1 - begin[2]) };
        k.padBackward(sig.data, dy, begin, this.target(step.to[0], fast ? shifted : null), x, box);
        return;
      }
      case 'concatSplit': {
        const axis = step.axis < 0 ? step.axis + fromDims.length + 1 : step.axis;
        if (axis < 1) throw badRequest(`node "${step.node}" (Concat) joins along the batch axis`, { node: step.node });
        const a = axis - 1;
        const outer = numel(fromDims.slice(0, a));
        const inner = numel(fromDims.slice(a + 1));
        let offset = 0;
        for (const part of step.parts) {
          const x = this.env.dims(part.tensor);
          const len = x[a];
          if (part.onPath) k.concatSplit(sig.data, outer, fromDims[a], inner, offset, len, this.target(part.tensor, a === 0 ? sig.box : null));
          offset += len;
        }
        if (offset !== fromDims[a]) this.mismatch(step, 'the inputs\' sizes along the axis');
        return;
      }
    }
  }
}
