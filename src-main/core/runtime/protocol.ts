// Messages between the runtime host (main thread) and the session worker.
import type { ErrorInfo } from '../../common/errors.ts';
import type { Provider } from '../../common/api.ts';
import type { ProjectionRequest } from '../deconv/index.ts';
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
  inputs: IoMeta[];
  outputs: IoMeta[];
}

export type WorkerRequest =
  | { id: number; type: 'load'; key: string; bytes: Uint8Array; providers: Provider[]; providerReason: string; deconv: DeconvBackend }
  | { id: number; type: 'run'; key: string; feeds: Record<string, FeedTensor>; fetches: string[]; keep?: string }
  | { id: number; type: 'project'; key: string; keep: string; requests: ProjectionRequest[] }
  | { id: number; type: 'prepare'; key: string; layer: string }
  | { id: number; type: 'release'; key: string };

export type WorkerResponse = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: ErrorInfo };
