// Where sessions live, as the rest of the core sees it. The implementation is a child process
// (process-host.ts), so that a fault inside onnxruntime ends that process and not the app.
import type { TensorProto } from 'onnx-buf';
import type { Projection, ProjectionRequest } from '../deconv/index.ts';
import type { ProviderChoice } from './provider.ts';
import type { FeedTensor, GraphOutline, LoadResult, ModelSource, OpenResult, OutputTensor, RuntimeProgress } from './protocol.ts';

/** A long call's progress, and its cancel (which stops the runtime process: onnxruntime cannot be interrupted). */
export interface CallWatch {
  onProgress?: (p: RuntimeProgress) => void;
  signal?: AbortSignal;
}

export interface RuntimeHost {
  /** Reads and parses `source.file` in the runtime, rewrites it as asked and loads it under `key`. */
  open(key: string, source: ModelSource, choice: ProviderChoice, watch?: CallWatch): Promise<OpenResult>;
  /** Loads a serialized model held in memory (models built by code, tests). */
  load(key: string, bytes: Uint8Array, choice: ProviderChoice): Promise<LoadResult>;
  /** The graph of a model file, parsed in the runtime, without loading a session (spectra of another model). */
  describe(file: string): Promise<GraphOutline>;
  /**
   * With `keep`, the runtime keeps this pass under that id for `project`: what it fetched and its
   * input, to fetch more from (a projection's switches). `projectFrom` fetches in the same pass
   * what projections from those layers read, switches included, for a caller about to project;
   * with `soon`, in the background once the runtime is idle (a view where a click may follow).
   */
  run(key: string, feeds: Record<string, FeedTensor>, fetches: string[], keep?: string, projectFrom?: string[], soon?: boolean): Promise<Record<string, OutputTensor>>;
  /** Deconvnet projections over a kept forward pass; fails with NOT_CACHED once it was evicted. */
  project(key: string, keep: string, requests: ProjectionRequest[]): Promise<Projection[]>;
  /** Constants of an opened model, by name (the Conv weights its outline gave without values). */
  weights(key: string, names: string[]): Promise<Record<string, TensorProto>>;
  /** Builds the deconv engine and the reverse plan of `layer` ahead of time; reports what it skips. */
  prepare(key: string, layer: string): Promise<{ skipped: string[] }>;
  release(key: string): Promise<void>;
  close(): Promise<void>;
}
