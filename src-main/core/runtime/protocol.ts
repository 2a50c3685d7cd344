// Messages between the runtime host (Node's main thread) and the runtime process.
import type { ErrorInfo } from '../../common/errors.ts';
import type { Provider } from '../../common/api.ts';
import type { ProjectionRequest } from '../deconv/index.ts';
import type { GraphSummary } from '../onnx/index.ts';
import type { DeconvBackend } from './provider.ts';

export interface FeedTensor {
  dims: number[];
  data: Float32Array;
}

export type OutputTensor =
  | { dims: number[]; type: 'float32'; data: Float32Array }
  | { dims: number[]; type: 'int64'; data: Int32Array | BigInt64Array };

export interface IoMeta {
  name: string;
  type: string;
  /** Fixed sizes as numbers, symbolic ones as strings (or -1 where ORT has no name). */
  shape: (number | string)[];
}

export interface LoadResult {
  provider: Provider;
  providerReason: string;
  /** Where this session's projections run (provider.ts): compiled under CUDA or when asked for, the engine when asked for, else by each layer's size. */
  deconvBackend: 'engine' | 'compiled' | 'auto';
  inputs: IoMeta[];
  outputs: IoMeta[];
  /** Constants onnxruntime read from the model's file by reference (onnx/weights-by-reference.ts); 0 when the bytes carried them all. */
  weightsByReference: number;
}

/**
 * What the runtime process makes of a model file before loading it. Rewrites are data, not code,
 * so the file is read, parsed and rewritten in that process and never on the main thread.
 */
export type ModelRewrite =
  /** The session itself: every layer and every MaxPool's switches tapped (DESIGN §3). */
  | { kind: 'tap-all' }
  /** A light copy that outputs just these tensors besides its own outputs (core/model/model-variants.ts). */
  | { kind: 'outputs'; tensors: string[] }
  /** A copy that computes per-row feature distances to row 0 in-graph (invariance sweeps). */
  | { kind: 'distances'; layers: string[] }
  /** A copy that outputs each layer's per-channel spatial mean, reduced in-graph (linear probes). */
  | { kind: 'means'; layers: string[] };

export interface ModelSource {
  file: string;
  rewrite: ModelRewrite;
  /** The file as the caller saw it: a (re)load refuses a file changed since, so a copy never disagrees with its session. */
  mtimeMs: number;
  size: number;
}

/**
 * The graph as the main thread sees it: the whole summary except the constants, of which only the
 * spine's Conv weights are kept (spectra read them); the rest of the weights stay in the runtime
 * process. An opened model's outline carries the first Conv layer's weights and the others' shapes
 * alone (no values): `RuntimeHost.weights` reads those when a view needs them.
 */
export type GraphOutline = GraphSummary;

export interface OpenResult extends LoadResult {
  /** The model's graph (before the rewrite); for the session itself only (rewrite 'tap-all'), null for copies. */
  graph: GraphOutline | null;
}

export type RuntimeRequest =
  | { id: number; type: 'open'; key: string; source: ModelSource; providers: Provider[]; providerReason: string; deconv: DeconvBackend }
  | { id: number; type: 'load'; key: string; bytes: Uint8Array; providers: Provider[]; providerReason: string; deconv: DeconvBackend }
  | { id: number; type: 'describe'; file: string }
  | { id: number; type: 'run'; key: string; feeds: Record<string, FeedTensor>; fetches: string[]; keep?: string; projectFrom?: string[]; soon?: boolean }
  | { id: number; type: 'project'; key: string; keep: string; requests: ProjectionRequest[] }
  | { id: number; type: 'prepare'; key: string; layer: string }
  | { id: number; type: 'weights'; key: string; names: string[] }
  | { id: number; type: 'release'; key: string };

/** Where a long call is (opening a model): a stage in words, and stages done of total. */
export interface RuntimeProgress {
  stage: string;
  done: number;
  total: number;
}

export type RuntimeResponse =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: ErrorInfo }
  /** Sent before the answer, any number of times. */
  | { id: number; progress: RuntimeProgress };
