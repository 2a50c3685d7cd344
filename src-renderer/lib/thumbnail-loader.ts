// Thumbnails for the image strip: a bounded number of requests in flight, identical requests shared,
// results kept as object URLs in an LRU (evicted URLs are revoked), queued requests dropped when the
// thumbnail scrolls out of view before its turn.
import { LruCache } from './lru.ts';

export interface ThumbnailLoaderOptions {
  fetch: (path: string, size: number) => Promise<Uint8Array>;
  createUrl: (png: Uint8Array) => string;
  revokeUrl: (url: string) => void;
  /** Object URLs kept alive; keep it well above the number of thumbnails visible at once. */
  capacity?: number;
  concurrency?: number;
}

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

interface Job {
  key: string;
  path: string;
  size: number;
  generation: number;
  waiters: number;
  started: boolean;
  promise: Promise<string>;
  resolve: (url: string) => void;
  reject: (e: unknown) => void;
}

export interface ThumbnailRequest {
  promise: Promise<string>;
  /** The caller no longer needs it; a request that has not started yet is dropped. */
  cancel(): void;
}

export class ThumbnailLoader {
  private readonly urls: LruCache<string, string>;
  private readonly failures = new LruCache<string, string>(1000);
  private readonly jobs = new Map<string, Job>();
  private queue: Job[] = [];
  private running = 0;
  private generation = 0;
  private readonly concurrency: number;

  constructor(private readonly opts: ThumbnailLoaderOptions) {
    this.urls = new LruCache<string, string>(opts.capacity ?? 400, (url) => opts.revokeUrl(url));
    this.concurrency = opts.concurrency ?? 6;
  }

  private static key(path: string, size: number): string {
    return `${size}:${path}`;
  }

  /** A cached URL, without fetching. */
  peek(path: string, size: number): string | undefined {
    return this.urls.get(ThumbnailLoader.key(path, size));
  }

  /** The error message of an earlier failed request, so a corrupt file is not asked for again. */
  failure(path: string, size: number): string | undefined {
    return this.failures.get(ThumbnailLoader.key(path, size));
  }

  get pending(): number {
    return this.queue.length;
  }

  get active(): number {
    return this.running;
  }

  request(path: string, size: number): ThumbnailRequest {
    const key = ThumbnailLoader.key(path, size);
    const cached = this.urls.get(key);
    if (cached) return { promise: Promise.resolve(cached), cancel: () => {} };
    const failed = this.failures.get(key);
    if (failed !== undefined) return { promise: Promise.reject(new Error(failed)), cancel: () => {} };

    let job = this.jobs.get(key);
    if (!job) {
      let resolve!: (url: string) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<string>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // Nobody may be listening when a dropped job rejects.
      promise.catch(() => {});
      job = { key, path, size, generation: this.generation, waiters: 0, started: false, promise, resolve, reject };
      this.jobs.set(key, job);
      this.queue.push(job);
    }
    job.waiters++;
    const j = job;
    let cancelled = false;
    this.pump();
    return {
      promise: j.promise,
      cancel: () => {
        if (cancelled) return;
        cancelled = true;
        j.waiters--;
        if (j.waiters <= 0 && !j.started) {
          this.queue = this.queue.filter((q) => q !== j);
          this.jobs.delete(j.key);
          j.reject(new CancelledError());
        }
      },
    };
  }

  /** Forgets everything (a different folder was opened): queued requests are dropped, URLs revoked. */
  clear(): void {
    this.generation++;
    for (const job of this.queue) job.reject(new CancelledError());
    this.queue = [];
    this.jobs.clear();
    this.urls.clear();
    this.failures.clear();
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const job = this.queue.shift() as Job;
      job.started = true;
      this.running++;
      void this.runJob(job);
    }
  }

  private async runJob(job: Job): Promise<void> {
    try {
      const png = await this.opts.fetch(job.path, job.size);
      if (job.generation !== this.generation) {
        job.reject(new CancelledError());
        return;
      }
      const url = this.opts.createUrl(png);
      this.urls.set(job.key, url);
      job.resolve(url);
    } catch (e) {
      if (job.generation === this.generation) this.failures.set(job.key, e instanceof Error ? e.message : String(e));
      job.reject(e);
    } finally {
      if (this.jobs.get(job.key) === job) this.jobs.delete(job.key);
      this.running--;
      this.pump();
    }
  }
}
