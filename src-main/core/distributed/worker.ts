// A scan worker: takes shards and merges of every scan kind from the queue and runs them. BullMQ
// holds a lock on each job a worker runs and renews it while the worker lives; a worker that dies
// (kill -9, a machine lost) stops renewing, and the other workers' stalled-job check puts its job
// back in the queue for someone else. Runtime and reduction run outside this thread (the runtime
// process, the compute pool), so lock renewal is never starved by a long forward pass.
import os from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { KINDS } from './kinds.ts';
import type { WorkerModels } from './models.ts';
import { connection, parseJobName, PREFIX, QUEUE } from './queue.ts';

export interface WorkerOptions {
  url: string;
  /** Jobs run at once by this process (their forward passes share one runtime process). */
  concurrency?: number;
  /** How long a job's lock lasts without renewal: a dead worker's shard is retried after about this (default 30 s, BullMQ's). */
  lockMs?: number;
  models: WorkerModels;
  /** One line per event worth telling (a shard done or failed, a lost connection). */
  log: (line: string) => void;
}

/** The lock duration for workers: $CONVSCOPE_QUEUE_LOCK_MS, else BullMQ's 30 s. */
export function lockMsFromEnv(): number | undefined {
  const v = Number(process.env.CONVSCOPE_QUEUE_LOCK_MS);
  return Number.isFinite(v) && v >= 500 ? v : undefined;
}

/** This worker's name as Redis lists it (CLIENT LIST) and as logs give it. */
export const workerName = () => `convscope-worker@${os.hostname()}:${process.pid}`;

export function startWorker(o: WorkerOptions): Worker {
  const name = workerName();
  const lockDuration = o.lockMs ?? 30_000;
  // Said once BullMQ accepted the result: a worker that lost its lock meanwhile (paused past it, so
  // another worker took the shard) finishes the scan but its result is refused, and says so instead.
  const started = new Map<string, number>();
  const processor = async (job: Job, _token?: string, signal?: AbortSignal) => {
    const parsed = parseJobName(job.name);
    const kind = parsed && KINDS[parsed.kind];
    // Another version's job kind: retrying elsewhere would not help this one.
    if (!parsed || !kind) throw new UnrecoverableError(`${name} does not know the job "${job.name}" (an older convscope?)`);
    const t0 = performance.now();
    if (parsed.role === 'merge') {
      const values = Object.values(await job.getChildrenValues());
      const t1 = performance.now();
      const merged = kind.merge(values);
      o.log(`${parsed.kind} merge ${job.id} of ${values.length} shards: read in ${(t1 - t0).toFixed(1)} ms, merged in ${(performance.now() - t1).toFixed(1)} ms`);
      return merged;
    }
    const result = await kind.scan(job.data, {
      signal: signal ?? new AbortController().signal,
      progress: (done) => job.updateProgress({ done }).catch(() => {}),
      models: o.models,
    });
    started.set(job.id!, t0);
    return result;
  };

  const worker = new Worker(QUEUE, processor, {
    connection: connection(o.url),
    prefix: PREFIX,
    name,
    concurrency: o.concurrency ?? 1,
    lockDuration,
    // Checked as often as a lock lasts: a dead worker's shard waits at most about twice that.
    stalledInterval: lockDuration,
    // A shard whose worker died twice is still worth a third try; beyond that something is wrong with it.
    maxStalledCount: 2,
  });
  worker.on('completed', (job) => {
    const t0 = started.get(job.id!);
    started.delete(job.id!);
    const kind = parseJobName(job.name);
    if (t0 !== undefined && kind?.role === 'shard') o.log(`${kind.kind} shard ${job.id} done in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  });
  worker.on('failed', (job, err) => {
    if (job?.id) started.delete(job.id);
    o.log(`${job?.name ?? 'a job'} ${job?.id ?? ''} failed: ${err.message}`);
  });
  let lastError = '';
  worker.on('error', (err) => {
    // ioredis repeats a lost connection's error on every retry: once is enough.
    if (err.message !== lastError) o.log(`queue: ${(lastError = err.message)}`);
  });
  return worker;
}
