// The GPU path (issue 4): a layer's reverse path compiled to an ONNX graph, so onnxruntime runs
// the projection under the model's execution provider (CUDA when active). The graph computes
// exactly what DeconvEngine computes — the same steps, in the same order, with reverse
// contributions summed where forward paths fork — densely over a batch of starting signals.
//
// This module only builds bytes; running them belongs to core/runtime (the only importer of
// onnxruntime-node). feeds.ts builds the inputs from a forward pass.
import { TensorProto_DataType } from 'onnx-buf';
import { GraphBuilder } from '../../onnx/builder.ts';
import type { GraphSummary } from '../../onnx/graph.ts';
import type { AttrInput } from '../../onnx/protos.ts';
import { badRequest } from '../errors.ts';
import type { ReversePlan } from '../plan.ts';
import { type Contribution, type Emitter, Unsupported, lowerStep } from './lower.ts';

/**
 * 17: ScatterElements' reduction 'add' needs 16; everything else is opset-13 vocabulary. The CPU
 * and CUDA providers of onnxruntime 1.30 have kernels for every op emitted.
 */
export const COMPILED_OPSET = 17;
export const SIGNAL_INPUT = 'signal';
export const PROJECTION_OUTPUT = 'projection';

/** Anything that knows the dims (batch first) of the tensors a forward pass fetched, e.g. Activations. */
export interface ForwardShapes {
  get(name: string): { readonly dims: readonly number[] } | undefined;
}

export interface CompileOptions {
  /** Starting signals per run (default 1); fewer can be fed, padded with zero signals (see feeds.ts). */
  batch?: number;
  /**
   * Shapes from a forward pass that fetched `plan.fetches` (the engine's Activations will do).
   * Shapes depend only on the model and its fixed input size, so the compiled graph can be
   * cached per (layer, batch, options) and reused for every image.
   */
  shapes: ForwardShapes;
  /**
   * true: each switch (and gate) input is [1, C, h, w], shared by all signals of a run (projections of one
   * image: a top-k of maps, one per map of a layer). false (default): [batch, C, h, w], one row per
   * signal (e.g. the top-9 images of one map, each with its own switches). Either way a row may
   * come from any position of the forward batch: the graph removes that offset itself.
   */
  sharedSwitches?: boolean;
  /** Element type of the switch inputs: 'int64' as onnxruntime's Indices (default), or 'int32' as the runtime worker hands them out. */
  switchType?: 'int64' | 'int32';
}

export interface CompiledInput {
  name: string;
  /**
   * 'signal': the starting signals shaped like the layer, [batch, ...layer dims]. 'switches': a
   * MaxPool's Indices. 'gate': a squeeze-excitation gate's forward value, float [1 or batch, C, 1, 1].
   */
  kind: 'signal' | 'switches' | 'gate';
  /** For switches and gates: the forward tensor (graph output of the tapped model) they are read from. */
  tensor?: string;
  dims: number[];
  type: 'float32' | 'int64' | 'int32';
}

export interface CompiledReversePath {
  /** A serialized ONNX model; empty when `unsupported`. */
  bytes: Uint8Array;
  inputs: CompiledInput[];
  /** Output name: the projections, float32 [batch, C, H, W] in input space. */
  output: string;
  outputDims: number[];
  layer: string;
  batch: number;
  sharedSwitches: boolean;
  /** Why this path cannot be compiled exactly (the caller uses the TypeScript engine), or null. */
  unsupported: string | null;
}

export function compileReversePath(plan: ReversePlan, graph: GraphSummary, opts: CompileOptions): CompiledReversePath {
  const batch = opts.batch ?? 1;
  if (!Number.isInteger(batch) || batch < 1) throw badRequest(`batch ${batch} is not a positive integer`, { batch });
  const { channels, height, width } = graph.input;
  const result: CompiledReversePath = {
    bytes: new Uint8Array(0),
    inputs: [],
    output: PROJECTION_OUTPUT,
    outputDims: [batch, channels, height, width],
    layer: plan.layer,
    batch,
    sharedSwitches: opts.sharedSwitches ?? false,
    unsupported: null,
  };
  try {
    const b = new GraphBuilder({ opset: COMPILED_OPSET });
    const e = new GraphEmitter(b, plan, opts, batch, result.inputs);
    b.input(SIGNAL_INPUT, [batch, ...e.dims(plan.layer)]);
    result.inputs.unshift({ name: SIGNAL_INPUT, kind: 'signal', dims: [batch, ...e.dims(plan.layer)], type: 'float32' });

    // Reverse contributions waiting for each forward tensor, summed when its step runs.
    const pending = new Map<string, string[]>([[plan.layer, [SIGNAL_INPUT]]]);
    const take = (t: string): string | null => {
      const parts = pending.get(t);
      pending.delete(t);
      if (!parts) return null;
      return parts.length === 1 ? parts[0] : e.op('Sum', parts)[0];
    };
    const give = ([t, v]: Contribution) => pending.set(t, [...(pending.get(t) ?? []), v]);
    for (const step of plan.steps) {
      const x = take(step.from);
      if (x) lowerStep(e, step, x).forEach(give); // no signal reaches this node: nothing to do, as in the engine
    }
    const found = take(plan.input);
    const inputDims = [channels, height, width];
    if (found && e.dims(plan.input).join() !== inputDims.join()) throw new Unsupported(`the projection is [${e.dims(plan.input).join(', ')}], not the input's [${inputDims.join(', ')}]`);
    const last = found ?? e.op('ConstantOfShape', [e.ints(result.outputDims)])[0];
    // An Identity gives the output a fixed name whatever produced it (even the signal itself).
    b.node('Identity', [last], {}, 1, { name: PROJECTION_OUTPUT });
    b.output(PROJECTION_OUTPUT);
    result.bytes = b.build();
  } catch (err) {
    if (!(err instanceof Unsupported)) throw err;
    result.inputs = [];
    result.unsupported = err.message;
  }
  return result;
}

class GraphEmitter implements Emitter {
  private readonly weights = new Map<Float32Array, string>();
  private readonly intConsts = new Map<string, string>();
  private readonly switchInputs = new Map<string, string>();
  private readonly gateInputs = new Map<string, string>();
  private constCount = 0;

  constructor(
    private readonly b: GraphBuilder,
    private readonly plan: ReversePlan,
    private readonly opts: CompileOptions,
    readonly batch: number,
    private readonly inputs: CompiledInput[],
  ) {}

  dims(tensor: string): number[] {
    const src = this.plan.shapes.get(tensor);
    if (!src) throw new Unsupported(`the plan has no shape for "${tensor}"`);
    if ('dims' in src) return [...src.dims];
    const t = this.opts.shapes.get(src.tensor);
    if (!t) throw badRequest(`the shapes given do not include "${src.tensor}" (a forward pass fetching plan.fetches has them all)`, { tensor: src.tensor });
    return t.dims.slice(1);
  }

  op(op: string, inputs: string[], attrs: Record<string, AttrInput> = {}, outputs = 1): string[] {
    return this.b.node(op, inputs, attrs, outputs);
  }

  floats(dims: number[], data: Float32Array): string {
    let name = this.weights.get(data);
    if (!name) {
      name = this.b.initializer(`const_${this.constCount++}`, dims, data);
      this.weights.set(data, name);
    }
    return name;
  }

  ints(values: number[], dims: number[] = [values.length]): string {
    const key = `${dims.join(',')}:${values.join(',')}`;
    let name = this.intConsts.get(key);
    if (!name) {
      name = this.b.int64Initializer(`const_${this.constCount++}`, dims, values);
      this.intConsts.set(key, name);
    }
    return name;
  }

  switches(tensor: string, pooledDims: number[]): string {
    const known = this.switchInputs.get(tensor);
    if (known) return known;
    const type = this.opts.switchType ?? 'int64';
    const dims = [this.opts.sharedSwitches ? 1 : this.batch, ...pooledDims];
    const name = `switches_${this.switchInputs.size}`;
    this.b.input(name, dims, type === 'int64' ? TensorProto_DataType.INT64 : TensorProto_DataType.INT32);
    this.inputs.push({ name, kind: 'switches', tensor, dims, type });
    // int32 saves converting on the way in; the arithmetic and the scatter run in int64.
    const value = type === 'int64' ? name : this.op('Cast', [name], { to: TensorProto_DataType.INT64 })[0];
    this.switchInputs.set(tensor, value);
    return value;
  }

  gate(tensor: string, dims: number[]): string {
    const known = this.gateInputs.get(tensor);
    if (known) return known;
    const full = [this.opts.sharedSwitches ? 1 : this.batch, ...dims];
    const name = `gate_${this.gateInputs.size}`;
    this.b.input(name, full);
    this.inputs.push({ name, kind: 'gate', tensor, dims: full, type: 'float32' });
    this.gateInputs.set(tensor, name);
    return name;
  }
}
