// One opened model: parsed graph, tapped session in the runtime host, preprocessing and labels.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ModelInfo } from '../../common/api.ts';
import { AppError } from '../../common/errors.ts';
import { truncateText } from '../../common/text.ts';
import type { LayerInfo, Preprocessing } from '../../common/types.ts';
import { loadSidecar } from '../images/index.ts';
import { describeRule } from '../onnx/index.ts';
import type { Projection, ProjectionRequest } from '../deconv/index.ts';
import type { RuntimeHost } from '../runtime/host.ts';
import type { GraphOutline, ModelRewrite, OutputTensor, RuntimeProgress } from '../runtime/protocol.ts';
import type { ProviderChoice } from '../runtime/provider.ts';
import { rowProbabilities } from './scores.ts';
import { ModelVariants, namingModel } from './model-variants.ts';
import { preprocessingHints } from './preprocessing-hints.ts';

/** Runs a batch N×C×H×W (flat) and returns the fetched tensors. */
export type BatchForward = (batch: Float32Array, n: number, fetches: string[]) => Promise<Record<string, OutputTensor>>;

export interface Classification {
  probabilities: Float32Array;
  logits: Float32Array;
}

export function softmax(logits: Float32Array): Float32Array {
  return Float32Array.from(rowProbabilities(logits, 0, logits.length, false));
}

/** Joins per-pass outputs along the batch dimension, keeping the first `n` items. */
function concatBatch(parts: OutputTensor[], n: number): OutputTensor {
  const first = parts[0];
  const item = first.data.length / first.dims[0];
  const dims = [n, ...first.dims.slice(1)];
  if (first.type === 'float32') {
    const data = new Float32Array(n * item);
    let at = 0;
    for (const p of parts) {
      const take = Math.min(p.data.length, data.length - at);
      data.set((p.data as Float32Array).subarray(0, take), at);
      at += take;
    }
    return { type: 'float32', dims, data };
  }
  const data = first.data instanceof BigInt64Array ? new BigInt64Array(n * item) : new Int32Array(n * item);
  let at = 0;
  for (const p of parts) {
    const take = Math.min(p.data.length, data.length - at);
    (data as Int32Array).set((p.data as Int32Array).subarray(0, take), at);
    at += take;
  }
  return { type: 'int64', dims, data };
}

export interface OpenOptions {
  /** The one copy of the model to load, chosen from its parsed graph (default: every layer and switch tapped). */
  rewrite?: (graph: GraphOutline) => ModelRewrite;
  /** Where the open is: a stage in words, stages done of total (reading, taps, onnxruntime, measuring the layers). */
  progress?: (stage: string, done: number, total: number) => void;
  /** Cancels the open (stopping the runtime process if onnxruntime is busy with it). */
  signal?: AbortSignal;
}

export class ModelSession {
  private constructor(
    readonly key: string,
    readonly info: ModelInfo,
    /** The graph as parsed in the runtime process: structure, and of the weights only the Conv layers' (for spectra). */
    readonly graph: GraphOutline,
    private readonly host: RuntimeHost,
    /** The model's first output already holds probabilities (its last node is a Softmax). */
    readonly outputIsProbability: boolean,
    private readonly variants: ModelVariants,
    /** How the runtime's copy of the model was rewritten: 'tap-all' (projections), or what one command reads. */
    private readonly rewrite: ModelRewrite,
  ) {}

  /** Whether this session can keep passes and project (it was opened with every layer and switch tapped). */
  get canProject(): boolean {
    return this.rewrite.kind === 'tap-all';
  }

  static cacheKey(file: string, mtimeMs: number, size: number): string {
    return `${path.resolve(file)}|${mtimeMs}|${size}`;
  }

  /**
   * Opens a model in the runtime. By default its copy there taps every layer and every MaxPool's
   * switches: what the app needs to browse layers and project. A command that reads only a few
   * tensors (the CLI's) passes `rewrite` to load one lighter copy instead: chosen from the parsed
   * graph, it is then the session's own, so the model is parsed once and loaded once. Such a session
   * measures only the shapes of what it taps, and cannot project.
   */
  static async open(file: string, host: RuntimeHost, choice: ProviderChoice, options: OpenOptions = {}): Promise<ModelSession> {
    const abs = path.resolve(file);
    const st = await stat(abs).catch((e: NodeJS.ErrnoException) => {
      throw new AppError('MODEL_READ_FAILED', `${truncateText(abs)}: ${e.code === 'ENOENT' ? 'no such file' : truncateText(e.message, 300)}`, { file: abs });
    });
    if (!st.isFile()) throw new AppError('MODEL_READ_FAILED', `${truncateText(abs)} is not a file`, { file: abs });
    const fileKey = ModelSession.cacheKey(abs, st.mtimeMs, st.size);
    const seen = { mtimeMs: st.mtimeMs, size: st.size };
    const named = (e: AppError) => {
      throw new AppError(e.code ?? 'MODEL_UNSUPPORTED', namingModel(path.basename(abs), e.message), { ...e.details, file: abs });
    };
    // Read, parsed, analysed and rewritten in the runtime process: a 250 MB model never blocks this thread.
    const described = options.rewrite ? await host.describe(abs).catch(named) : null;
    const rewrite: ModelRewrite = described ? options.rewrite!(described) : { kind: 'tap-all' };
    const key = rewrite.kind === 'tap-all' ? fileKey : `${fileKey}|${JSON.stringify(rewrite)}`;
    const onProgress = options.progress ? (p: RuntimeProgress) => options.progress!(p.stage, p.done, p.total) : undefined;
    const loaded = await host.open(key, { file: abs, rewrite, ...seen }, choice, { onProgress, signal: options.signal }).catch((e: AppError) =>
      e.code === 'CANCELLED' ? Promise.reject(e) : named(e));
    // The runtime reported its stages; the last is this zero pass.
    const total = 4;
    options.progress?.('measuring the layers', total - 1, total);
    const graph = described ?? loaded.graph!;

    const { channels, height, width, name: inputName, layout } = graph.input;
    const sidecar = await loadSidecar(abs, channels, [height, width], { layout });

    // One zero forward pass measures every layer's shape: exact, whatever the op mix.
    const b0 = graph.input.dims[0];
    const n0 = typeof b0 === 'number' && b0 > 0 ? b0 : 1;
    const zeros = new Float32Array(n0 * channels * height * width);
    const outputs = await host.run(key, { [inputName]: { dims: [n0, channels, height, width], data: zeros } }, []);
    const layers: LayerInfo[] = graph.layers.map((l) => ({
      id: l.id,
      node: l.node,
      op: l.op,
      kind: l.kind,
      params: l.params,
      receptiveField: l.receptiveField,
      inputs: l.inputs,
      shape: outputs[l.id] ? [...outputs[l.id].dims] : [],
      ...(l.reverse ? { reverse: { rule: l.reverse.rule, description: describeRule(l.reverse) } } : {}),
    }));
    const firstOutput = graph.outputs[0];
    const out = outputs[firstOutput.name];
    if (!out || out.type !== 'float32') {
      throw new AppError('MODEL_UNSUPPORTED', `${path.basename(abs)}: output "${firstOutput.name}" is not a float tensor of class scores`, { file: abs });
    }
    const numClasses = out.dims[out.dims.length - 1];
    const lastNode = graph.nodes.find((n) => n.outputs.includes(firstOutput.name));
    const info: ModelInfo = {
      path: abs,
      name: path.basename(abs),
      sizeBytes: st.size,
      opset: graph.opset,
      irVersion: graph.irVersion,
      producer: graph.producer,
      provider: loaded.provider,
      providerReason: loaded.providerReason,
      deconvBackend: loaded.deconvBackend,
      input: { ...graph.input },
      outputs: graph.outputs,
      numClasses,
      layers,
      preprocessing: sidecar.preprocessing,
      sidecarPath: sidecar.path,
      preprocessingAssumed: sidecar.assumed,
      preprocessingHints: preprocessingHints(graph, sidecar.preprocessing),
      labels: sidecar.labels,
    };
    if (options.signal?.aborted) {
      // Cancelled after onnxruntime had loaded it: nobody will use or close this session.
      await host.release(key);
      throw new AppError('CANCELLED', `opening ${path.basename(abs)}: cancelled`);
    }
    const variants = new ModelVariants(host, abs, fileKey, seen, choice, ModelSession.cacheKey);
    return new ModelSession(key, info, graph, host, lastNode?.op === 'Softmax', variants, rewrite);
  }

  /** The model with preprocessing the user confirmed (saved to `sidecarPath`). */
  withPreprocessing(p: Preprocessing, labels: string[] | null, sidecarPath: string): ModelSession {
    return new ModelSession(this.key, { ...this.info, preprocessing: p, labels, sidecarPath, preprocessingAssumed: false, preprocessingHints: preprocessingHints(this.graph, p) }, this.graph, this.host, this.outputIsProbability, this.variants, this.rewrite);
  }

  /**
   * Runs a batch (N×C×H×W, flat) and returns the requested tensors (default: the model's first output).
   * A model exported with a fixed batch size (often 1) is run in passes of that size, so callers can
   * batch regardless; outputs are concatenated along their first (batch) dimension.
   */
  async forward(batch: Float32Array, n: number, fetches?: string[]): Promise<Record<string, OutputTensor>> {
    return this.runBatch(this.key, batch, n, fetches ?? [this.info.outputs[0].name]);
  }

  /**
   * A forward pass over a copy of the model that outputs just `tensors` besides its own outputs: what
   * analyses streaming many images run (about twice the speed of the fully tapped session, see
   * model-variants.ts). Falls back to the session's own pass when the file changed on disk.
   */
  async forwardAt(tensors: readonly string[]): Promise<BatchForward> {
    const sorted = [...new Set(tensors)].sort();
    // The session's own copy when it already outputs them: the tapped one is slower (model-variants.ts), a light one is this copy.
    const own = this.rewrite;
    if (own.kind === 'outputs' && sorted.every((t) => own.tensors.includes(t))) return (batch, n, fetches) => this.forward(batch, n, fetches);
    return this.variantForward({ kind: 'outputs', tensors: sorted });
  }

  /**
   * A forward pass over a rewritten copy of the model, made in the runtime process. Falls back to the
   * session's own pass when the file changed on disk since it was opened.
   */
  async variantForward(rewrite: ModelRewrite): Promise<BatchForward> {
    if (JSON.stringify(rewrite) === JSON.stringify(this.rewrite)) return (batch, n, fetches) => this.forward(batch, n, fetches);
    // Loaded now, so a model onnxruntime refuses fails here; every pass asks again, because newer
    // copies may have evicted this one in the meantime (it is then loaded again).
    await this.variants.load(rewrite);
    return async (batch, n, fetches) => {
      const key = await this.variants.load(rewrite);
      return key === null ? this.forward(batch, n, fetches) : this.runBatch(key, batch, n, fetches);
    };
  }

  /** Runs a batch through the runtime copy `key`, in passes of the model's fixed batch size if it has one. */
  private async runBatch(key: string, batch: Float32Array, n: number, names: string[]): Promise<Record<string, OutputTensor>> {
    const { channels, height, width, name, dims } = this.info.input;
    const per = channels * height * width;
    if (batch.length !== n * per) {
      throw new AppError('INPUT_MISMATCH', `expected ${n}×${channels}×${height}×${width} input values, got ${batch.length}`);
    }
    const fixed = typeof dims[0] === 'number' && dims[0] > 0 ? dims[0] : null;
    if (fixed === null || fixed === n) {
      return this.host.run(key, { [name]: { dims: [n, channels, height, width], data: batch } }, names);
    }
    const parts: Record<string, OutputTensor>[] = [];
    for (let start = 0; start < n; start += fixed) {
      const data = new Float32Array(fixed * per);
      // The last pass is padded with zero images; their outputs are dropped below.
      data.set(batch.subarray(start * per, Math.min(n, start + fixed) * per));
      parts.push(await this.host.run(key, { [name]: { dims: [fixed, channels, height, width], data } }, names));
    }
    return Object.fromEntries(names.map((f) => [f, concatBatch(parts.map((p) => p[f]), n)]));
  }

  /**
   * Runs one image (or a batch of `n`, N×C×H×W flat), returns the requested tensors and keeps the
   * pass in the runtime under `id` for projections. The pass fetches only what is asked: a pass
   * that is projected computes its switches on the first projection, by running the kept input
   * again to its pools. `projectFrom` (a caller about to project from these layers) fetches in this
   * pass what those projections read, switches included; with `soon`, in the background once the
   * runtime is idle (the layer browser: the maps come back at once, and a click finds them ready).
   */
  async keep(id: string, tensor: Float32Array, fetches: string[], n = 1, projectFrom?: string[], soon = false): Promise<Record<string, OutputTensor>> {
    this.requireProjections();
    const { channels, height, width, name } = this.info.input;
    return this.host.run(this.key, { [name]: { dims: [n, channels, height, width], data: tensor } }, fetches, id, projectFrom, soon);
  }

  /**
   * Makes `names` (Conv weights) readable in `graph.initializers`: an opened model's outline holds
   * the first Conv layer's weights and only the shapes of the others, read here on first use.
   */
  async loadWeights(names: string[]): Promise<void> {
    const missing = names.filter((n) => {
      const t = this.graph.initializers.get(n);
      // Fields left at their defaults may not survive the trip from the runtime (proto2 defaults live on the prototype).
      return !t || !(t.rawData?.byteLength || t.floatData?.length || t.doubleData?.length || t.int32Data?.length);
    });
    if (missing.length === 0) return;
    const got = await this.host.weights(this.key, missing);
    for (const [name, t] of Object.entries(got)) this.graph.initializers.set(name, t);
  }

  /** Plans the projections of `layer` (and builds the engine) before they are needed. */
  prepare(layer: string): Promise<{ skipped: string[] }> {
    this.requireProjections();
    return this.host.prepare(this.key, layer);
  }

  private requireProjections(): void {
    if (!this.canProject) throw new AppError('INTERNAL', `${this.info.name} was opened without its switches tapped; it cannot project`);
  }

  /**
   * Deconvnet projections of the image (or batch of `n`) kept under `id`; when the runtime evicted
   * that pass (or restarted), `tensor` gives the input again and the pass is kept anew.
   */
  async project(id: string, tensor: () => Promise<Float32Array>, requests: ProjectionRequest[], n = 1): Promise<Projection[]> {
    try {
      return await this.host.project(this.key, id, requests);
    } catch (e) {
      if ((e as AppError).code !== 'NOT_CACHED') throw e;
      await this.keep(id, await tensor(), [this.info.outputs[0].name], n, [...new Set(requests.map((r) => r.layer))]);
      return this.host.project(this.key, id, requests);
    }
  }

  async classify(tensor: Float32Array): Promise<Classification> {
    const name = this.info.outputs[0].name;
    const outputs = await this.forward(tensor, 1, [name]);
    const logits = outputs[name].data as Float32Array;
    const probabilities = this.outputIsProbability ? Float32Array.from(logits) : softmax(logits);
    return { probabilities, logits: Float32Array.from(logits) };
  }

  label(index: number): string {
    return this.info.labels?.[index] ?? `class ${index}`;
  }

  async close(): Promise<void> {
    await this.variants.releaseAll();
    await this.host.release(this.key);
  }
}
