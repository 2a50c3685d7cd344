// Where sessions live. The host is an interface so the worker thread can be swapped for a child
// process (crashes of onnxruntime in worker threads inside Electron have been reported upstream).
import { Worker } from 'node:worker_threads';
import { AppError, type ErrorInfo } from '../../common/errors.ts';
import type { Projection, ProjectionRequest } from '../deconv/index.ts';
import type { ProviderChoice } from './provider.ts';
import type { FeedTensor, LoadResult, OutputTensor, WorkerRequest, WorkerResponse } from './protocol.ts';

export interface RuntimeHost {
  load(key: string, bytes: Uint8Array, choice: ProviderChoice): Promise<LoadResult>;
  /** With `keep`, the host keeps every tapped tensor of this pass under that id for `project`. */
  run(key: string, feeds: Record<string, FeedTensor>, fetches: string[], keep?: string): Promise<Record<string, OutputTensor>>;
  /** Deconvnet projections over a kept forward pass; fails with NOT_CACHED once it was evicted. */
  project(key: string, keep: string, requests: ProjectionRequest[]): Promise<Projection[]>;
  /** Builds the deconv engine and the reverse plan of `layer` ahead of time; reports what it skips. */
  prepare(key: string, layer: string): Promise<{ skipped: string[] }>;
  release(key: string): Promise<void>;
  close(): Promise<void>;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void };
type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

function workerSpec(): { file: URL; workerData: Record<string, unknown> } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    return { file: new URL('./worker-boot.mjs', here), workerData: { entry: new URL('./worker-main.ts', here).href } };
  }
  // Bundled by electron-vite: the worker is a sibling chunk of the main bundle.
  return { file: new URL('./worker-main.js', here), workerData: {} };
}

/** Sessions in one worker thread; a crashed worker is restarted and its sessions reloaded on next use. */
export class WorkerThreadHost implements RuntimeHost {
  private worker: Worker | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private loadedInWorker = new Set<string>();
  private models = new Map<string, { bytes: Uint8Array; choice: ProviderChoice }>();

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const spec = workerSpec();
    const worker = new Worker(spec.file, { workerData: spec.workerData });
    worker.on('message', (resp: WorkerResponse) => {
      const p = this.pending.get(resp.id);
      if (!p) return;
      this.pending.delete(resp.id);
      if (resp.ok) p.resolve(resp.value);
      else p.reject(new AppError(resp.error.code, resp.error.message, resp.error.details));
    });
    const fail = (info: ErrorInfo) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.loadedInWorker.clear();
      for (const p of this.pending.values()) p.reject(new AppError(info.code, info.message));
      this.pending.clear();
    };
    worker.on('error', (e) => fail({ code: 'RUNTIME_FAILED', message: `the inference worker crashed: ${e.message}` }));
    worker.on('exit', (code) => fail({ code: 'RUNTIME_FAILED', message: `the inference worker exited (code ${code})` }));
    // Do not keep a CLI process alive just for an idle worker.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private request<T>(req: DistributiveOmit<WorkerRequest, 'id'>, transfer: ArrayBuffer[] = []): Promise<T> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.ref();
      worker.postMessage({ ...req, id }, transfer);
    }).finally(() => {
      if (this.pending.size === 0) this.worker?.unref();
    });
  }

  async load(key: string, bytes: Uint8Array, choice: ProviderChoice): Promise<LoadResult> {
    this.models.set(key, { bytes, choice });
    const result = await this.request<LoadResult>({ type: 'load', key, bytes, providers: choice.providers, providerReason: choice.reason, deconv: choice.deconv ?? 'auto' });
    this.loadedInWorker.add(key);
    return result;
  }

  private async ensureLoaded(key: string): Promise<void> {
    if (this.loadedInWorker.has(key)) return;
    const m = this.models.get(key);
    if (!m) throw new AppError('RUNTIME_FAILED', 'no session is loaded for this model');
    await this.load(key, m.bytes, m.choice);
  }

  async run(key: string, feeds: Record<string, FeedTensor>, fetches: string[], keep?: string): Promise<Record<string, OutputTensor>> {
    await this.ensureLoaded(key);
    return this.request({ type: 'run', key, feeds, fetches, keep });
  }

  async project(key: string, keep: string, requests: ProjectionRequest[]): Promise<Projection[]> {
    await this.ensureLoaded(key);
    return this.request({ type: 'project', key, keep, requests });
  }

  async prepare(key: string, layer: string): Promise<{ skipped: string[] }> {
    await this.ensureLoaded(key);
    return this.request({ type: 'prepare', key, layer });
  }

  async release(key: string): Promise<void> {
    this.models.delete(key);
    if (!this.loadedInWorker.delete(key) || !this.worker) return;
    await this.request({ type: 'release', key });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.models.clear();
    this.loadedInWorker.clear();
    if (w) await w.terminate();
  }
}
