// The deconvnet projection engine (DESIGN §3 "Deconvnet projection"; Zeiler & Fergus 2014, Fig. 1).
//
// What a projection is, exactly. Let f_L be the forward map from the image x to layer L, and s the
// start signal: zeros shaped like one sample of L, holding a[c, p] at (c, p) ('single') or the
// whole map c ('map'). The projection is the vector–Jacobian product sᵀ·∂f_L/∂x computed by
// reverse-mode differentiation along the forward pass that produced the activations, with two
// backward rules replaced:
//   Relu, LeakyRelu   relu(incoming)      instead of incoming · 1[forward input > 0]
//   LRN (native or PyTorch's primitive LocalResponseNorm subgraph)   identity
//   modern elementwise activations (ReLU6, HardSwish, SiLU, GELU, ... onnx/activations.ts)
//                     relu(incoming) to x alone, as Relu
//   squeeze-excitation gate Mul(x, g)   incoming · g per channel, g held at its forward value
//                     (detached: its branch gets nothing)
// Every other op on the path keeps its exact backward, which is the deconvnet's rule:
//   MaxPool       the gradient routes each value to its window's argmax = unpooling through the
//                 switches ORT recorded (first maximum in window order, as PyTorch); windows that
//                 share a winner add up
//   Conv          transposed convolution with the same weights, strides, pads, dilations, groups;
//                 the bias has no path back
//   Gemm, MatMul  alpha · dy · W (that is, multiply by the weights transposed); no bias
//   BatchNormalization (inference)   × γ/√(σ²+ε) per channel
//   AveragePool   dy/count to every counted position of its window (count_include_pad as ORT)
//   GlobalAveragePool   dy/(H·W) everywhere
//   Flatten, Reshape, Dropout, Identity   the same values (inverse reshape / identity)
//   Add           the signal to each input (summed over broadcast axes); Concat: split
// and where forward paths fork, the reverse contributions add up. make-fixtures.py computes
// exactly this with PyTorch autograd (custom Functions for ReLU and LocalResponseNorm), and
// fixtures.test.ts holds the engine to it.
//
// Pure and synchronous: no Node APIs, so it can run in a worker later. Activations come from a
// forward pass that fetched fetchesFor(layer) (ModelSession taps every layer and every switch).
import type { GraphSummary } from '../onnx/graph.ts';
import type { Switches } from '../onnx/tap.ts';
import { badRequest } from './errors.ts';
import {
  layerMapsOf, writeStartSignal, type ActivationTensor, type Activations, type LayerMaps, type Projection, type ProjectionRequest,
} from './request.ts';
import { fastKernels } from './kernels/index.ts';
import type { Kernels } from './kernels/types.ts';
import { type ReversePlan, planProjection } from './plan.ts';
import { ReverseRun, type SampleSwitches, type Signal, numel } from './reverse.ts';

export { toDisplay } from './display.ts';
export type { ActivationTensor, Activations, Projection, ProjectionRequest };

export interface EngineOptions {
  /** Restrict each step to where the signal can be non-zero (default true). False: the full computation. */
  fastPath?: boolean;
  kernels?: Kernels;
}

export class DeconvEngine {
  private readonly plans = new Map<string, ReversePlan>();
  private readonly kernels: Kernels;
  private readonly fast: boolean;

  constructor(
    readonly graph: GraphSummary,
    readonly switches: Switches[],
    options: EngineOptions = {},
  ) {
    this.kernels = options.kernels ?? fastKernels;
    this.fast = options.fastPath ?? true;
  }

  plan(layer: string): ReversePlan {
    let p = this.plans.get(layer);
    if (!p) {
      p = planProjection(this.graph, this.switches, layer);
      this.plans.set(layer, p);
    }
    return p;
  }

  /**
   * Multiply-adds of one projection from `layer` run densely: each transposed convolution over its
   * whole input, each Wᵀ product. That is the compiled path's work; the engine's fast path does less
   * where a single activation's signal is confined to a box, as much where it covers the input.
   */
  denseMacs(acts: Activations, layer: string): number {
    const plan = this.plan(layer);
    const dims = bindShapes(plan, acts);
    let macs = 0;
    for (const step of plan.steps) {
      if (step.kind === 'convTranspose') {
        const dy = dims.get(step.from) ?? [];
        const [, cPerGroup, kh, kw] = step.weightDims;
        macs += dy.reduce((a, b) => a * b, 1) * cPerGroup * kh * kw;
      } else if (step.kind === 'gemmTranspose') {
        macs += step.weightDims[0] * step.weightDims[1];
      }
    }
    return macs;
  }

  fetchesFor(layer: string): string[] {
    return [...this.plan(layer).fetches];
  }

  project(acts: Activations, req: ProjectionRequest): Projection {
    return this.projectBatch(acts, [req])[0];
  }

  /** Projections over one forward pass: plans, shapes and validated switches are shared. */
  projectBatch(acts: Activations, reqs: ProjectionRequest[]): Projection[] {
    const dimsByLayer = new Map<string, Map<string, number[]>>();
    const switchCache = new Map<string, SampleSwitches>();
    return reqs.map((req) => {
      const t0 = performance.now();
      const plan = this.plan(req.layer);
      let dims = dimsByLayer.get(req.layer);
      if (!dims) {
        dims = bindShapes(plan, acts);
        dimsByLayer.set(req.layer, dims);
      }
      const { data: layerData, maps } = layerView(acts, req.layer);
      // Checks the request (request.ts) before anything is computed.
      const start = startSignal(layerData, maps, req, this.fast);
      const b = req.batchIndex ?? 0;
      const run = new ReverseRun({
        kernels: this.kernels,
        fast: this.fast,
        dims: (t) => dims.get(t)!,
        switches: (name, inputSize, outputSize) => sampleSwitches(acts, name, b, inputSize, outputSize, switchCache),
        gate: (name, channels) => sampleGate(acts, name, b, channels),
      });
      run.set(req.layer, start.signal);
      for (const step of plan.steps) run.run(step);
      const { channels, height, width } = this.graph.input;
      const data = run.get(plan.input)?.data ?? new Float32Array(channels * height * width);
      return {
        layer: req.layer,
        channel: req.channel,
        mode: req.mode,
        batchIndex: b,
        position: start.position,
        value: start.value,
        dims: [channels, height, width],
        data,
        skipped: [...plan.skipped],
        ms: performance.now() - t0,
        backend: 'engine',
      };
    });
  }
}

function missing(name: string, what: string): never {
  throw badRequest(`the forward pass did not fetch ${what} "${name}" (fetch engine.fetchesFor(layer))`, { tensor: name });
}

function bindShapes(plan: ReversePlan, acts: Activations): Map<string, number[]> {
  const dims = new Map<string, number[]>();
  for (const [t, src] of plan.shapes) {
    if ('dims' in src) dims.set(t, src.dims);
    else dims.set(t, (acts.get(src.tensor) ?? missing(src.tensor, 'tensor')).dims.slice(1));
  }
  return dims;
}

function layerView(acts: Activations, layer: string): { data: { dims: readonly number[]; data: Float32Array }; maps: LayerMaps } {
  const t = acts.get(layer) ?? missing(layer, 'layer');
  if (!(t.data instanceof Float32Array)) throw badRequest(`layer "${layer}" is not a float tensor`, { layer });
  return { data: { dims: t.dims, data: t.data }, maps: layerMapsOf(layer, t.dims) };
}

function startSignal(
  layer: { dims: readonly number[]; data: Float32Array }, maps: LayerMaps, req: ProjectionRequest, fast: boolean,
): { signal: Signal; position: [number, number] | null; value: number } {
  const data = new Float32Array(maps.c * maps.h * maps.w);
  const { position, value } = writeStartSignal(layer, req, data);
  // Only C×H×W maps have a box; for an fc unit the first reverse step (Wᵀ) reaches everything anyway.
  const box = fast && maps.spatial && position ? { y0: position[0], x0: position[1], y1: position[0], x1: position[1] } : null;
  return { signal: { data, box }, position, value };
}

/** One sample's forward values of a squeeze-excitation gate, N×C×1×1. */
function sampleGate(acts: Activations, name: string, b: number, channels: number): Float32Array {
  const t = acts.get(name) ?? missing(name, 'gate');
  if (!(t.data instanceof Float32Array) || t.data.length < (b + 1) * channels || numel([...t.dims]) !== t.data.length) {
    throw badRequest(`gate "${name}" [${t.dims.join(', ')}] does not hold ${channels} float values for sample ${b}`, { tensor: name });
  }
  return t.data.subarray(b * channels, (b + 1) * channels);
}

/** One sample's switches as Int32 indices, checked to point into that sample's pool input. */
function sampleSwitches(acts: Activations, name: string, b: number, inputSize: number, outputSize: number, cache: Map<string, SampleSwitches>): SampleSwitches {
  const key = `${name}\u0000${b}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const t = acts.get(name) ?? missing(name, 'switches');
  if (numel([...t.dims]) !== t.data.length || t.data.length % outputSize !== 0 || t.data.length < (b + 1) * outputSize) {
    throw badRequest(`switches "${name}" [${t.dims.join(', ')}] do not fit a pool output of ${outputSize} values per sample`, { tensor: name });
  }
  let sw: SampleSwitches;
  if (t.data instanceof Int32Array) {
    sw = { data: t.data, switchBase: b * outputSize, indexBase: b * inputSize };
  } else if (t.data instanceof BigInt64Array) {
    const data = new Int32Array(outputSize);
    const offset = BigInt(b * inputSize);
    for (let i = 0; i < outputSize; i++) data[i] = Number(t.data[b * outputSize + i] - offset);
    sw = { data, switchBase: 0, indexBase: 0 };
  } else {
    throw badRequest(`switches "${name}" are not integer indices`, { tensor: name });
  }
  const end = sw.switchBase + outputSize;
  for (let i = sw.switchBase; i < end; i++) {
    const at = sw.data[i] - sw.indexBase;
    if (!(at >= 0 && at < inputSize)) throw badRequest(`switches "${name}" point outside sample ${b}'s pool input (index ${sw.data[i]})`, { tensor: name });
  }
  cache.set(key, sw);
  return sw;
}
