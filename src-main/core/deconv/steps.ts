// One forward node → its reverse step (DESIGN §3). Anything without a rule is an
// UnsupportedOpError naming the node, the op, the layer and the input.
import type { TensorProto } from 'onnx-buf';
import type { NodeDesc } from '../onnx/nodes.ts';
import type { Switches } from '../onnx/tap.ts';
import { tensorDims, tensorToFloat32, tensorToNumbers } from '../onnx/tensor.ts';
import { UnsupportedOpError } from './errors.ts';
import type { PlanWindow, ReverseStep } from './step-types.ts';

export interface PlanContext {
  layer: string;
  input: string;
  /** Tensors computed from the input: only these receive a reverse signal. */
  reached: Set<string>;
  constants: Map<string, TensorProto>;
  producer: Map<string, NodeDesc>;
  /** Switches by MaxPool node name. */
  switches: Map<string, Switches>;
}

const IDENTITY = new Set(['LRN', 'Dropout', 'Identity']);

function pair(v: unknown, fallback: number): [number, number] {
  return Array.isArray(v) && v.length === 2 ? [Number(v[0]), Number(v[1])] : [fallback, fallback];
}

/** `needed`: the node's outputs the layer depends on. */
export function reverseStep(n: NodeDesc, needed: string[], ctx: PlanContext): ReverseStep {
  const fail = (why?: string) => new UnsupportedOpError(n.name, n.op, ctx.layer, ctx.input, why);
  // Secondary outputs (MaxPool's Indices, Dropout's mask) are not images of the input.
  if (needed.some((o) => o !== n.outputs[0])) throw fail('the path uses an output other than its first');
  if (n.domain !== '' && n.domain !== 'ai.onnx') throw fail();
  if (n.implicitInputs.some((t) => ctx.reached.has(t))) throw fail();
  const from = n.outputs[0];
  const onPath = n.inputs.filter((t) => t && ctx.reached.has(t));
  const base = { node: n.name, op: n.op, from, to: onPath };

  /** The op reverses only through its first input; the others must be constants off the path. */
  const firstOnly = () => {
    if (!ctx.reached.has(n.inputs[0]) || onPath.length !== 1) throw fail('only its first input may depend on the image');
    return { ...base, to: [n.inputs[0]] };
  };
  const constant = (i: number, what: string): TensorProto => {
    // Exporters put an Identity in front of shared (tied) weights.
    let name = n.inputs[i] ?? '';
    for (let hops = 0; hops < 8 && !ctx.constants.has(name) && ctx.producer.get(name)?.op === 'Identity'; hops++) name = ctx.producer.get(name)!.inputs[0];
    const t = ctx.constants.get(name);
    if (!t) throw fail(`its ${what} "${n.inputs[i] ?? ''}" is not a constant tensor`);
    return t;
  };
  const window = (kernel: number[] | undefined): PlanWindow => {
    if (!Array.isArray(kernel) || kernel.length !== 2) throw fail('only 2-D windows are supported');
    const pads = n.attrs.pads as number[] | undefined;
    return {
      kernel: [kernel[0], kernel[1]],
      strides: pair(n.attrs.strides, 1),
      dilations: pair(n.attrs.dilations, 1),
      pads: Array.isArray(pads) && pads.length === 4 ? [pads[0], pads[1], pads[2], pads[3]] : [0, 0, 0, 0],
      autoPad: typeof n.attrs.auto_pad === 'string' ? n.attrs.auto_pad : 'NOTSET',
      ceilMode: n.attrs.ceil_mode === 1,
    };
  };

  if (IDENTITY.has(n.op)) return { ...firstOnly(), kind: 'identity' };
  switch (n.op) {
    case 'Relu':
    case 'LeakyRelu':
      return { ...firstOnly(), kind: 'relu' };
    case 'Flatten':
    case 'Reshape':
      return { ...firstOnly(), kind: 'reshape' };
    case 'Transpose': {
      // tf2onnx puts one back to N×H×W×C before a Keras Flatten; the signal goes back through its inverse.
      const step = firstOnly();
      const perm = n.attrs.perm;
      if (!Array.isArray(perm) || perm[0] !== 0) throw fail('only a Transpose that keeps the batch axis first (perm [0, …]) is supported');
      return { ...step, kind: 'transposeBackward', perm: (perm as number[]).slice(1).map((a) => a - 1) };
    }
    case 'GlobalAveragePool':
      return { ...firstOnly(), kind: 'globalAveragePoolBackward' };
    case 'Conv': {
      const step = firstOnly();
      const w = constant(1, 'weight');
      const dims = tensorDims(w);
      if (dims.length !== 4) throw fail('only 2-D convolutions are supported');
      const kernel = (n.attrs.kernel_shape as number[] | undefined) ?? dims.slice(2);
      return {
        ...step,
        kind: 'convTranspose',
        weights: tensorToFloat32(w),
        weightDims: [dims[0], dims[1], dims[2], dims[3]],
        group: (n.attrs.group as number | undefined) ?? 1,
        window: window(kernel),
      };
    }
    case 'MaxPool': {
      const step = firstOnly();
      const sw = ctx.switches.get(n.name);
      if (!sw) throw fail('its switches were not tapped (tapModel adds every MaxPool\'s Indices)');
      if (sw.storageOrder !== 0) throw fail('column-major switches (storage_order 1) are not supported');
      return { ...step, kind: 'maxUnpool', switches: sw.indices, window: window(n.attrs.kernel_shape as number[] | undefined) };
    }
    case 'AveragePool': {
      const step = firstOnly();
      return { ...step, kind: 'averagePoolBackward', window: window(n.attrs.kernel_shape as number[] | undefined), countIncludePad: n.attrs.count_include_pad === 1 };
    }
    case 'BatchNormalization': {
      const step = firstOnly();
      const [gamma, , , variance] = [1, 2, 3, 4].map((i) => tensorToFloat32(constant(i, ['scale', 'bias', 'mean', 'variance'][i - 1])));
      const eps = (n.attrs.epsilon as number | undefined) ?? 1e-5;
      // The exact input gradient of inference-mode BN: γ / √(σ² + ε), per channel.
      const scale = new Float32Array(gamma.length);
      for (let c = 0; c < scale.length; c++) scale[c] = gamma[c] / Math.sqrt(variance[c] + eps);
      return { ...step, kind: 'batchNormalizationScale', scale };
    }
    case 'Gemm': {
      const step = firstOnly();
      if (n.attrs.transA === 1) throw fail('Gemm with transA = 1 is not supported');
      const w = constant(1, 'weight');
      const dims = tensorDims(w);
      if (dims.length !== 2) throw fail('its weight is not 2-D');
      return { ...step, kind: 'gemmTranspose', weights: tensorToFloat32(w), weightDims: [dims[0], dims[1]], transB: n.attrs.transB === 1, alpha: (n.attrs.alpha as number | undefined) ?? 1 };
    }
    case 'MatMul': {
      const step = firstOnly();
      const w = constant(1, 'weight');
      const dims = tensorDims(w);
      if (dims.length !== 2) throw fail('only MatMul by a 2-D constant weight is supported');
      return { ...step, kind: 'gemmTranspose', weights: tensorToFloat32(w), weightDims: [dims[0], dims[1]], transB: false, alpha: 1 };
    }
    case 'Pad': {
      // PyTorch writes AvgPool2d(count_include_pad=True) as Pad + AveragePool; TF-style exports pad before Conv.
      const step = firstOnly();
      const mode = (n.attrs.mode as string | undefined) ?? 'constant';
      if (mode !== 'constant') throw fail(`Pad mode "${mode}" is not supported (only constant)`);
      let pads = n.attrs.pads as number[] | undefined;
      if (!pads && n.inputs[1]) pads = tensorToNumbers(constant(1, 'pads'));
      if (n.inputs[3]) throw fail('Pad with axes is not supported');
      if (!pads || pads.length % 2 !== 0) throw fail('its pads are unknown');
      const rank = pads.length / 2;
      if (pads[0] !== 0 || pads[rank] !== 0) throw fail('it pads the batch axis');
      return { ...step, kind: 'padBackward', begin: pads.slice(1, rank), end: pads.slice(rank + 1) };
    }
    case 'Add':
      return { ...base, kind: 'addBackward' };
    case 'Concat':
      return {
        ...base,
        kind: 'concatSplit',
        axis: (n.attrs.axis as number | undefined) ?? 1,
        parts: n.inputs.map((t) => ({ tensor: t, onPath: ctx.reached.has(t) })),
      };
    default:
      throw fail();
  }
}
