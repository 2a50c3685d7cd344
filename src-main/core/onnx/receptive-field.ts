// Receptive fields along the spine (DESIGN §3), per axis [y, x], in input pixels.
//
// Definitions. Input pixel i has its centre at coordinate i. For a layer with field
// { size, stride, offset }, output position p (along one axis) is influenced by the input
// pixels whose centres lie in the closed interval
//     [offset + p·stride − (size − 1)/2,  offset + p·stride + (size − 1)/2]
// *before clipping to the image*: padding makes border positions see fewer real pixels, but the
// box we report is the unclipped one (callers clip when they cut a patch). `offset` is the
// centre of position 0's box and may be fractional (even kernels) or negative (padding).
//
// A window op (Conv, MaxPool, AveragePool) with kernel k, stride s, dilation d, leading pad pb
// maps the field of its input (size r, jump j, offset o) to
//     k_eff = d·(k − 1) + 1
//     r' = r + (k_eff − 1)·j        j' = j·s        o' = o + ((k_eff − 1)/2 − pb)·j
// Elementwise ops keep the field; joins (Add, Concat, ...) take, per axis, the largest field
// among their inputs (the union's extent; in residual nets the branches share jump and centre),
// ignoring per-channel gates that are already global (see joinFields).
//
// Global layers: after Flatten, Reshape, Gemm, MatMul or a Global*Pool every value depends on
// the whole image and "position" has no spatial meaning. We report the whole input:
//     size = [H, W], stride = [0, 0], offset = [(H − 1)/2, (W − 1)/2]
// — a stride of 0 says every position sees the same box, and the formula above still holds.
//
// null: the field is unknown, because an op on the way does not map positions to positions in a
// way we model (Resize, Transpose, Slice, ConvTranspose, InstanceNormalization, ...).
import type { TensorProto } from 'onnx-buf';
import type { ReceptiveField } from '../../common/types.ts';
import type { NodeDesc } from './nodes.ts';
import { tensorDims, tensorToNumbers } from './tensor.ts';

type Pair = [number, number];

export type Field =
  | { kind: 'local'; size: Pair; jump: Pair; offset: Pair; extent: Pair | null }
  | { kind: 'global' }
  | null;

export interface Window {
  kernel: Pair;
  stride: Pair;
  dilation: Pair;
  padBegin: Pair;
  padEnd: Pair;
  autoPad: string;
  ceilMode: boolean;
}

export function inputField(height: number, width: number): Field {
  return { kind: 'local', size: [1, 1], jump: [1, 1], offset: [0, 0], extent: [height, width] };
}

/** Output length of a window op along one axis, and the leading pad it actually used. */
export function windowOutput(
  inLen: number,
  k: number,
  s: number,
  d: number,
  pb: number,
  pe: number,
  autoPad: string,
  ceilMode: boolean,
): { length: number; padBegin: number } {
  const kEff = d * (k - 1) + 1;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const length = Math.ceil(inLen / s);
    const total = Math.max((length - 1) * s + kEff - inLen, 0);
    return { length, padBegin: autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2) };
  }
  if (autoPad === 'VALID') return { length: Math.floor((inLen - kEff) / s) + 1, padBegin: 0 };
  const span = inLen + pb + pe - kEff;
  let length = (ceilMode ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  // As in PyTorch and ORT: with ceil_mode the last window must start inside the input or left pad.
  if (ceilMode && (length - 1) * s >= inLen + pb) length--;
  return { length, padBegin: pb };
}

export function windowField(f: Field, w: Window): Field {
  if (f === null || f.kind === 'global') return f;
  const size: Pair = [0, 0];
  const jump: Pair = [0, 0];
  const offset: Pair = [0, 0];
  const extent: Pair | null = f.extent ? [0, 0] : null;
  for (const a of [0, 1] as const) {
    let pb = w.padBegin[a];
    if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER' || f.extent) {
      if (!f.extent) return null; // SAME padding depends on the input length, which we lost
      const out = windowOutput(f.extent[a], w.kernel[a], w.stride[a], w.dilation[a], pb, w.padEnd[a], w.autoPad, w.ceilMode);
      pb = out.padBegin;
      extent![a] = out.length;
    }
    if (w.autoPad === 'VALID') pb = 0;
    const kEff = w.dilation[a] * (w.kernel[a] - 1) + 1;
    size[a] = f.size[a] + (kEff - 1) * f.jump[a];
    jump[a] = f.jump[a] * w.stride[a];
    offset[a] = f.offset[a] + ((kEff - 1) / 2 - pb) * f.jump[a];
  }
  return { kind: 'local', size, jump, offset, extent };
}

/**
 * Per axis, the input whose field is largest on that axis. Global inputs only count when nothing
 * local is left: a per-channel gate broadcast over a map (squeeze-and-excitation, attention
 * scales) doesn't move positions, and calling every later layer "the whole image" would hide
 * the local field the views need.
 */
export function joinFields(fields: Field[]): Field {
  if (fields.length === 0 || fields.some((f) => f === null)) return null;
  const locals = fields.filter((f) => f!.kind === 'local') as Extract<Field, { kind: 'local' }>[];
  if (locals.length === 0) return { kind: 'global' };
  const out = { kind: 'local' as const, size: [0, 0] as Pair, jump: [0, 0] as Pair, offset: [0, 0] as Pair, extent: [0, 0] as Pair | null };
  for (const a of [0, 1] as const) {
    let best = locals[0];
    for (const f of locals) if (f.size[a] > best.size[a]) best = f;
    out.size[a] = best.size[a];
    out.jump[a] = best.jump[a];
    out.offset[a] = best.offset[a];
    if (out.extent && best.extent) out.extent[a] = best.extent[a];
    else out.extent = null;
  }
  return out;
}

const WINDOWS = new Set(['Conv', 'MaxPool', 'AveragePool', 'LpPool']);
const PASS_THROUGH = new Set([
  'Relu', 'LeakyRelu', 'PRelu', 'Elu', 'Selu', 'Celu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh',
  'Softplus', 'Softsign', 'Gelu', 'Mish', 'Clip', 'Neg', 'Abs', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Erf',
  'Dropout', 'Identity', 'Cast', 'BatchNormalization', 'LRN',
]);
const JOINS = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sum', 'Max', 'Min', 'Mean', 'Concat', 'Where']);
const GLOBAL = new Set([
  'Flatten', 'Reshape', 'Gemm', 'MatMul', 'GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool',
  'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceSum', 'ReduceL1', 'ReduceL2', 'ReduceLogSumExp', 'ArgMax', 'ArgMin',
]);
/** Fine once the field is global (class scores), unknown before. */
const GLOBAL_ONLY_IF_GLOBAL = new Set(['Softmax', 'LogSoftmax', 'Squeeze', 'Unsqueeze']);

function pair(v: unknown, fallback: number): Pair {
  if (Array.isArray(v) && v.length === 2) return [Number(v[0]), Number(v[1])];
  return [fallback, fallback];
}

/** The window of a 2-D Conv/MaxPool/AveragePool node, or null if it is not one (e.g. LRN's 3-D pool). */
export function nodeWindow(n: NodeDesc, constants: Map<string, TensorProto>): Window | null {
  let kernel = n.attrs.kernel_shape as number[] | undefined;
  if (!kernel && (n.op === 'Conv' || n.op === 'ConvTranspose')) {
    const w = constants.get(n.inputs[1]);
    if (w) kernel = tensorDims(w).slice(2);
  }
  if (!Array.isArray(kernel) || kernel.length !== 2) return null;
  const pads = n.attrs.pads as number[] | undefined;
  return {
    kernel: [kernel[0], kernel[1]],
    stride: pair(n.attrs.strides, 1),
    dilation: pair(n.attrs.dilations, 1),
    padBegin: Array.isArray(pads) && pads.length === 4 ? [pads[0], pads[1]] : [0, 0],
    padEnd: Array.isArray(pads) && pads.length === 4 ? [pads[2], pads[3]] : [0, 0],
    autoPad: typeof n.attrs.auto_pad === 'string' ? n.attrs.auto_pad : 'NOTSET',
    ceilMode: n.attrs.ceil_mode === 1,
  };
}

/** Field of a node's outputs given the fields of its spine inputs (inputs not on the spine are constants). */
export function nodeField(n: NodeDesc, inputs: Field[], constants: Map<string, TensorProto>): Field {
  if (inputs.length === 0 || inputs.some((f) => f === null)) return null;
  const known = WINDOWS.has(n.op) || PASS_THROUGH.has(n.op) || JOINS.has(n.op) || GLOBAL.has(n.op) || GLOBAL_ONLY_IF_GLOBAL.has(n.op) || n.op === 'Pad' || n.op === 'Transpose';
  if (!known) return null;
  // Once every value sees the whole image, anything we can follow keeps it that way (e.g. SE blocks' 1×1 convs).
  if (inputs.every((f) => f!.kind === 'global')) return { kind: 'global' };
  switch (n.op) {
    case 'Conv':
    case 'MaxPool':
    case 'AveragePool':
    case 'LpPool': {
      const w = nodeWindow(n, constants);
      return w ? windowField(inputs[0], w) : null;
    }
    case 'Pad':
      return padField(n, inputs[0], constants);
    case 'Transpose':
      return transposeField(n, inputs[0]);
  }
  if (PASS_THROUGH.has(n.op)) return inputs[0];
  if (JOINS.has(n.op)) return joinFields(inputs);
  if (GLOBAL.has(n.op)) return { kind: 'global' };
  return null; // Softmax, Squeeze, ... over a spatial map: positions no longer line up with the input's

}

/**
 * tf2onnx's Transpose back to N×H×W×C before a Keras Flatten: each H, W position is still where
 * it was, so its field is too. A perm that moves the batch or swaps H and W loses the positions.
 */
function transposeField(n: NodeDesc, f: Field): Field {
  const perm = Array.isArray(n.attrs.perm) ? (n.attrs.perm as number[]) : null;
  return perm?.length === 4 && perm[0] === 0 && perm.indexOf(2) < perm.indexOf(3) ? f : null;
}

/** A Pad node before a Conv (TensorFlow-style exports): shifts the field, keeps its size. */
function padField(n: NodeDesc, f: Field, constants: Map<string, TensorProto>): Field {
  if (f === null || f.kind === 'global') return f;
  let pads = n.attrs.pads as number[] | undefined;
  if (!pads && n.inputs[1]) {
    const t = constants.get(n.inputs[1]);
    pads = t ? tensorToNumbers(t) : undefined;
  }
  if (!Array.isArray(pads) || pads.length !== 8) return null;
  const [pb, pe]: [Pair, Pair] = [[pads[2], pads[3]], [pads[6], pads[7]]];
  return {
    ...f,
    offset: [f.offset[0] - pb[0] * f.jump[0], f.offset[1] - pb[1] * f.jump[1]],
    extent: f.extent ? [f.extent[0] + pb[0] + pe[0], f.extent[1] + pb[1] + pe[1]] : null,
  };
}

export function toReceptiveField(f: Field, height: number, width: number): ReceptiveField | null {
  if (f === null) return null;
  if (f.kind === 'global') return { size: [height, width], stride: [0, 0], offset: [(height - 1) / 2, (width - 1) / 2] };
  return { size: [...f.size], stride: [...f.jump], offset: [...f.offset] };
}
