// A small programmatic ONNX builder for tests across the project: deterministic seeded weights and
// its own shape arithmetic (to size Gemm weights without running anything).
import { create, toBinary } from '@bufbuild/protobuf';
import {
  type GraphProto,
  GraphProtoSchema,
  type ModelProto,
  ModelProtoSchema,
  type NodeProto,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  type TensorProto,
  TensorProto_DataType,
  type ValueInfoProto,
} from 'onnx-buf';
import type { Dim } from '../../common/types.ts';
import { type AttrInput, attribute, floatAttr, valueInfo } from './protos.ts';
export { type AttrInput, FloatAttr, floatAttr } from './protos.ts';
import { windowOutput } from './receptive-field.ts';
import { draw, seededRandom } from './seeded-random.ts';
import { float32Tensor, int64Tensor } from './tensor.ts';

type Pair = number | [number, number];
type Pads = number | [number, number] | [number, number, number, number];
export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

export interface ConvOptions {
  outChannels: number;
  kernel: Pair;
  stride?: Pair;
  /** One number, [y, x], or ONNX order [y_begin, x_begin, y_end, x_end]. */
  pad?: Pads;
  dilation?: Pair;
  groups?: number;
  autoPad?: AutoPad;
  /** Default true. */
  bias?: boolean;
  /** Raw weights, layout [outChannels, inChannels / groups, kh, kw]. Default: seeded uniform. */
  weights?: ArrayLike<number>;
  biasValues?: ArrayLike<number>;
  seed?: number;
  name?: string;
}
export interface PoolOptions {
  kernel: Pair;
  stride?: Pair;
  pad?: Pads;
  dilation?: Pair;
  ceilMode?: boolean;
  autoPad?: AutoPad;
  /** MaxPool: also output Indices (the switches). */
  indices?: boolean;
  name?: string;
}
export interface DenseOptions {
  out: number;
  bias?: boolean;
  /** Gemm: [out, in] (transB = 1, as PyTorch exports Linear). MatMul: [in, out]. */
  weights?: ArrayLike<number>;
  biasValues?: ArrayLike<number>;
  seed?: number;
  name?: string;
}
export interface BuilderOptions {
  opset?: number;
  irVersion?: number;
  seed?: number;
  producer?: string;
  /** List initializers among the graph inputs, as exporters before IR 4 had to. */
  initializersAsInputs?: boolean;
}

const pair = (v: Pair | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v);
function pads4(p: Pads | undefined): [number, number, number, number] {
  if (p === undefined) return [0, 0, 0, 0];
  if (typeof p === 'number') return [p, p, p, p];
  return p.length === 2 ? [p[0], p[1], p[0], p[1]] : p;
}
const product = (dims: Dim[]): Dim => (dims.every((d) => typeof d === 'number') ? (dims as number[]).reduce((a, b) => a * b, 1) : dims.length === 1 ? dims[0] : '?');

export class GraphBuilder {
  private nodes: NodeProto[] = [];
  private inits: TensorProto[] = [];
  private inputs: ValueInfoProto[] = [];
  private outputs: { name: string }[] = [];
  private shapes = new Map<string, Dim[] | null>();
  private types = new Map<string, number>();
  private counters = new Map<string, number>();
  private seedCounter: number;
  readonly opset: number;

  constructor(private readonly opts: BuilderOptions = {}) {
    this.opset = opts.opset ?? 13;
    this.seedCounter = opts.seed ?? 1;
  }

  /** Known shape of a tensor, or null (outputs of `node()` without `shapes`). */
  shape(t: string): Dim[] | null {
    return this.shapes.get(t) ?? null;
  }

  /** The initializers so far (tests read weights back to run naive references). */
  get initializers(): ReadonlyMap<string, TensorProto> {
    return new Map(this.inits.map((t) => [t.name, t]));
  }

  input(name: string, dims: Dim[], elemType: number = TensorProto_DataType.FLOAT): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    this.track(name, dims, elemType);
    return name;
  }

  initializer(name: string, dims: number[], data: ArrayLike<number>): string {
    this.inits.push(float32Tensor(name, dims, data));
    this.track(name, dims, TensorProto_DataType.FLOAT);
    return name;
  }

  int64Initializer(name: string, dims: number[], data: ArrayLike<number>): string {
    this.inits.push(int64Tensor(name, dims, data));
    this.track(name, dims, TensorProto_DataType.INT64);
    return name;
  }

  /** Any op. Output shapes are unknown unless given; outputs are named `${name}`, `${name}_1`, ... */
  node(
    op: string,
    inputs: string[],
    attrs: Record<string, AttrInput> = {},
    nOutputs = 1,
    opts: { name?: string; domain?: string; shapes?: (Dim[] | null)[]; types?: number[] } = {},
  ): string[] {
    const name = opts.name ?? this.fresh(op.toLowerCase());
    const outputs = Array.from({ length: nOutputs }, (_, i) => (i === 0 ? name : `${name}_${i}`));
    this.nodes.push(
      create(NodeProtoSchema, {
        name,
        opType: op,
        domain: opts.domain ?? '',
        input: inputs,
        output: outputs,
        attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      }),
    );
    outputs.forEach((o, i) => this.track(o, opts.shapes?.[i] ?? null, opts.types?.[i] ?? TensorProto_DataType.FLOAT));
    return outputs;
  }

  conv(x: string, o: ConvOptions): string {
    const [n, c, h, w] = this.dims4(x, 'Conv');
    const groups = o.groups ?? 1;
    if (typeof c !== 'number' || c % groups || o.outChannels % groups) throw new Error(`conv: ${c} input channels, ${o.outChannels} outputs and ${groups} groups don't fit`);
    const [kh, kw] = pair(o.kernel, 1);
    const name = o.name ?? this.fresh('conv');
    const wDims = [o.outChannels, c / groups, kh, kw];
    const fanIn = (c / groups) * kh * kw;
    const rnd = this.rng(o.seed);
    const W = this.initializer(`${name}.weight`, wDims, o.weights ?? draw(rnd, wDims, Math.sqrt(3 / fanIn)));
    const inputs = [x, W];
    if (o.bias ?? true) inputs.push(this.initializer(`${name}.bias`, [o.outChannels], o.biasValues ?? draw(rnd, [o.outChannels], 0.1)));
    const win = this.window(o, [kh, kw], false);
    const out = this.spatial([h, w], win);
    return this.node('Conv', inputs, { ...win.attrs, group: groups }, 1, { name, shapes: [[n, o.outChannels, ...out]] })[0];
  }

  maxPool(x: string, o: PoolOptions): string {
    const [n, c, h, w] = this.dims4(x, 'MaxPool');
    const win = this.window(o, pair(o.kernel, 1), true);
    const shape = [n, c, ...this.spatial([h, w], win)];
    const outs = this.node('MaxPool', [x], win.attrs, o.indices ? 2 : 1, { name: o.name, shapes: [shape, shape], types: [TensorProto_DataType.FLOAT, TensorProto_DataType.INT64] });
    return outs[0];
  }

  averagePool(x: string, o: PoolOptions & { countIncludePad?: boolean }): string {
    const [n, c, h, w] = this.dims4(x, 'AveragePool');
    const win = this.window({ ...o, dilation: undefined }, pair(o.kernel, 1), true);
    const attrs = { ...win.attrs, ...(o.countIncludePad ? { count_include_pad: 1 } : {}) };
    return this.node('AveragePool', [x], attrs, 1, { name: o.name, shapes: [[n, c, ...this.spatial([h, w], win)]] })[0];
  }

  globalAveragePool(x: string, name?: string): string {
    const [n, c] = this.dims4(x, 'GlobalAveragePool');
    return this.node('GlobalAveragePool', [x], {}, 1, { name, shapes: [[n, c, 1, 1]] })[0];
  }

  relu(x: string, name?: string): string {
    return this.same('Relu', x, {}, name);
  }

  leakyRelu(x: string, alpha = 0.01, name?: string): string {
    return this.same('LeakyRelu', x, { alpha: floatAttr(alpha) }, name);
  }

  /** A native ONNX LRN node (the form Caffe-era models and our test models use). */
  lrn(x: string, o: { size: number; alpha?: number; beta?: number; bias?: number; name?: string }): string {
    return this.same('LRN', x, { size: o.size, alpha: floatAttr(o.alpha ?? 1e-4), beta: floatAttr(o.beta ?? 0.75), bias: floatAttr(o.bias ?? 1) }, o.name);
  }

  batchNorm(x: string, o: { epsilon?: number; seed?: number; name?: string } = {}): string {
    const [, c] = this.dims4(x, 'BatchNormalization');
    const name = o.name ?? this.fresh('bn');
    const C = c as number;
    const rnd = this.rng(o.seed);
    const vec = (f: () => number) => Array.from({ length: C }, f);
    const inputs = [
      this.initializer(`${name}.scale`, [C], vec(() => 0.5 + rnd())),
      this.initializer(`${name}.bias`, [C], vec(() => rnd() - 0.5)),
      this.initializer(`${name}.mean`, [C], vec(() => rnd() - 0.5)),
      this.initializer(`${name}.var`, [C], vec(() => 0.5 + rnd())),
    ];
    return this.same('BatchNormalization', x, { epsilon: floatAttr(o.epsilon ?? 1e-5) }, name, inputs);
  }

  dropout(x: string, name?: string): string {
    return this.same('Dropout', x, {}, name);
  }

  softmax(x: string, axis = -1, name?: string): string {
    return this.same('Softmax', x, { axis }, name);
  }

  add(a: string, b: string, name?: string): string {
    return this.node('Add', [a, b], {}, 1, { name, shapes: [this.shape(a)] })[0];
  }

  concat(xs: string[], axis = 1, name?: string): string {
    const shapes = xs.map((x) => this.shape(x));
    let shape: Dim[] | null = null;
    if (shapes.every((s) => s)) {
      const first = shapes[0]!;
      const ax = axis < 0 ? first.length + axis : axis;
      const along = shapes.map((s) => s![ax]);
      const total = along.every((d) => typeof d === 'number') ? (along as number[]).reduce((a, b) => a + b, 0) : '?';
      shape = first.map((d, i) => (i === ax ? total : d));
    }
    return this.node('Concat', xs, { axis }, 1, { name, shapes: [shape] })[0];
  }

  flatten(x: string, axis = 1, name?: string): string {
    const d = this.known(x, 'Flatten');
    return this.node('Flatten', [x], { axis }, 1, { name, shapes: [[product(d.slice(0, axis)), product(d.slice(axis))]] })[0];
  }

  /** Reshape to a constant shape (0 copies a dim, −1 is inferred), as torch's x.view(n, -1) exports. */
  reshape(x: string, shape: number[], name?: string): string {
    const d = this.known(x, 'Reshape');
    const out: Dim[] = shape.map((s, i) => (s === 0 ? d[i] : s));
    if (shape.includes(-1)) {
      // Copied dims (0) cancel out, so a symbolic batch dim doesn't stop the inference.
      const rest = product(d.filter((_, i) => shape[i] !== 0));
      const fixed = shape.filter((s) => s > 0).reduce((a, b) => a * b, 1);
      out[shape.indexOf(-1)] = typeof rest === 'number' ? rest / fixed : '?';
    }
    const name_ = name ?? this.fresh('reshape');
    const s = this.int64Initializer(`${name_}.shape`, [shape.length], shape);
    return this.node('Reshape', [x, s], {}, 1, { name: name_, shapes: [out] })[0];
  }

  /** Fully connected as PyTorch exports nn.Linear: Gemm with weight [out, in] and transB = 1. */
  gemm(x: string, o: DenseOptions): string {
    const d = this.known(x, 'Gemm');
    const inF = d[1];
    if (d.length !== 2 || typeof inF !== 'number') throw new Error(`gemm: input "${x}" is [${d.join(', ')}], need [N, features]`);
    const name = o.name ?? this.fresh('gemm');
    const rnd = this.rng(o.seed);
    const W = this.initializer(`${name}.weight`, [o.out, inF], o.weights ?? draw(rnd, [o.out, inF], Math.sqrt(3 / inF)));
    const inputs = [x, W];
    if (o.bias ?? true) inputs.push(this.initializer(`${name}.bias`, [o.out], o.biasValues ?? draw(rnd, [o.out], 0.1)));
    return this.node('Gemm', inputs, { alpha: floatAttr(1), beta: floatAttr(1), transB: 1 }, 1, { name, shapes: [[d[0], o.out]] })[0];
  }

  /** MatMul by a weight [in, out], then Add of a bias (how some exporters write Linear). */
  matmul(x: string, o: DenseOptions): string {
    const d = this.known(x, 'MatMul');
    const inF = d[d.length - 1];
    if (typeof inF !== 'number') throw new Error(`matmul: input "${x}" has no fixed last dim`);
    const name = o.name ?? this.fresh('matmul');
    const rnd = this.rng(o.seed);
    const W = this.initializer(`${name}.weight`, [inF, o.out], o.weights ?? draw(rnd, [inF, o.out], Math.sqrt(3 / inF)));
    const shape = [...d.slice(0, -1), o.out];
    const y = this.node('MatMul', [x, W], {}, 1, { name, shapes: [shape] })[0];
    if (!(o.bias ?? true)) return y;
    const B = this.initializer(`${name}.bias`, [o.out], o.biasValues ?? draw(rnd, [o.out], 0.1));
    return this.node('Add', [y, B], {}, 1, { name: `${name}_add`, shapes: [shape] })[0];
  }

  /** Makes `t` a graph output, renamed to `name` if given. */
  output(t: string, name?: string): string {
    if (name && name !== t) {
      if (this.shapes.has(name)) throw new Error(`output: "${name}" is already a tensor`);
      for (const n of this.nodes) {
        n.input = n.input.map((i) => (i === t ? name : i));
        n.output = n.output.map((o) => (o === t ? name : o));
      }
      this.track(name, this.shape(t), this.types.get(t) ?? TensorProto_DataType.FLOAT);
      t = name;
    }
    this.outputs.push({ name: t });
    return t;
  }

  model(): ModelProto {
    const graph: GraphProto = create(GraphProtoSchema, {
      name: 'convscope-builder',
      node: this.nodes,
      initializer: this.inits,
      input: [...this.inputs, ...(this.opts.initializersAsInputs ? this.inits.map((t) => valueInfo(t.name, t.dataType, t.dims.map(Number))) : [])],
      output: this.outputs.map((o) => valueInfo(o.name, this.types.get(o.name) ?? TensorProto_DataType.FLOAT, this.shape(o.name))),
    });
    return create(ModelProtoSchema, {
      irVersion: BigInt(this.opts.irVersion ?? (this.opset >= 13 ? 8 : this.opset >= 9 ? 4 : 3)),
      producerName: this.opts.producer ?? 'convscope-builder',
      producerVersion: '1',
      opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(this.opset) })],
      graph,
    });
  }

  build(): Uint8Array {
    return toBinary(ModelProtoSchema, this.model());
  }

  // ---- helpers -------------------------------------------------------------------------------

  private fresh(base: string): string {
    const k = (this.counters.get(base) ?? 0) + 1;
    this.counters.set(base, k);
    return `${base}${k}`;
  }

  private track(name: string, dims: Dim[] | null, type: number): void {
    this.shapes.set(name, dims);
    this.types.set(name, type);
  }

  /** One generator per layer: a layer's weights depend on its seed (explicit, or its position), nothing else. */
  private rng(seed?: number): () => number {
    return seededRandom(seed ?? this.seedCounter++ * 7919);
  }

  private known(x: string, op: string): Dim[] {
    const d = this.shape(x);
    if (!d) throw new Error(`${op}: the shape of "${x}" is unknown; pass shapes to node()`);
    return d;
  }

  private dims4(x: string, op: string): Dim[] {
    const d = this.known(x, op);
    if (d.length !== 4) throw new Error(`${op}: input "${x}" is [${d.join(', ')}], need N×C×H×W`);
    return d;
  }

  private same(op: string, x: string, attrs: Record<string, AttrInput>, name?: string, extra: string[] = []): string {
    return this.node(op, [x, ...extra], attrs, 1, { name, shapes: [this.shape(x)] })[0];
  }

  private window(o: PoolOptions | ConvOptions, kernel: [number, number], pool: boolean) {
    const strides = pair(o.stride, 1);
    const dilations = pair(o.dilation, 1);
    const pads = pads4(o.pad);
    const autoPad = o.autoPad ?? 'NOTSET';
    const ceilMode = 'ceilMode' in o && !!o.ceilMode;
    const attrs: Record<string, AttrInput> = { kernel_shape: kernel, strides };
    if (autoPad === 'NOTSET') attrs.pads = pads;
    else attrs.auto_pad = autoPad;
    if (o.dilation !== undefined) attrs.dilations = dilations;
    if (pool && ceilMode) attrs.ceil_mode = 1;
    return { kernel, strides, dilations, pads, autoPad, ceilMode, attrs };
  }

  private spatial(hw: Dim[], win: ReturnType<GraphBuilder['window']>): Dim[] {
    return hw.map((len, a) =>
      typeof len === 'number'
        ? windowOutput(len, win.kernel[a], win.strides[a], win.dilations[a], win.pads[a], win.pads[a + 2], win.autoPad, win.ceilMode).length
        : '?',
    );
  }
}
