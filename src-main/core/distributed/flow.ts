// Running one scan on the queue, from the machine that starts it: the shards become the children of
// a BullMQ flow whose parent (run by a worker once every child finished) merges their results. The
// parent's result is the only thing read back. Progress comes from the workers' progress events.
// Cancelling removes the shards no worker has taken; those in progress finish, the parent merges
// what finished (returned, so a resumed scan need not do it again), then the whole flow is removed.
import { randomBytes } from 'node:crypto';
import { FlowProducer, Queue, QueueEvents, type Job } from 'bullmq';
import { AppError } from '../../common/errors.ts';
import { connection, mergeJobName, PREFIX, QUEUE, shardJobName } from './queue.ts';

export interface FlowRun<Shard> {
  url: string;
  /** The scan kind (kinds.ts). */
  kind: string;
  shards: Shard[];
  /** Items per shard (images, for top-k), for progress. */
  sizes: number[];
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** A line for the user (no worker is connected yet, …). */
  onNote?: (line: string) => void;
}

export interface FlowOutcome<Result> {
  /** The parent's merge of the shards that finished (all of them, unless cancelled). */
  result: Result;
  cancelled: boolean;
}

/** Tries a failed shard this often before the scan fails (another worker may take the retry). */
const ATTEMPTS = 3;

export async function runFlow<Shard, Result>(run: FlowRun<Shard>): Promise<FlowOutcome<Result>> {
  const conn = connection(run.url);
  const queue = new Queue(QUEUE, { connection: conn, prefix: PREFIX });
  const events = new QueueEvents(QUEUE, { connection: conn, prefix: PREFIX });
  const producer = new FlowProducer({ connection: conn, prefix: PREFIX });
  // Errors reach the awaited calls; the emitters' own 'error' events must not crash the process.
  queue.on('error', () => {});
  producer.on('error', () => {});
  // ioredis reconnects by itself (Redis restarted): the user hears of it once, the scan waits.
  let lastError = '';
  events.on('error', (e) => {
    if (e.message !== lastError) run.onNote?.(`queue: ${(lastError = e.message)} (reconnecting; Ctrl-C twice leaves)`);
  });
  const id = `${run.kind}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const total = run.sizes.reduce((a, b) => a + b, 0);
  const done = new Map<number, number>();
  const shardOf = (jobId: string) => (jobId.startsWith(`${id}-`) ? Number(jobId.slice(id.length + 1)) : -1);
  const report = () => run.onProgress?.([...done.values()].reduce((a, b) => a + b, 0), total);
  const failures = new Map<number, string>();
  events.on('progress', ({ jobId, data }) => {
    const i = shardOf(jobId);
    if (i >= 0 && typeof data === 'object' && data && 'done' in data) {
      done.set(i, Math.min(run.sizes[i], Number((data as { done: number }).done)));
      report();
    }
  });
  events.on('completed', ({ jobId }) => {
    const i = shardOf(jobId);
    if (i >= 0) {
      done.set(i, run.sizes[i]);
      report();
    }
  });
  events.on('failed', ({ jobId, failedReason }) => {
    const i = shardOf(jobId);
    if (i >= 0) failures.set(i, failedReason);
  });

  let parent: Job | undefined;
  let cancelled = false;
  const cancel = () => {
    cancelled = true;
    // Locked (running) children are left to finish: their work is kept.
    parent?.removeUnprocessedChildren().catch(() => {});
    run.onNote?.('cancelling: the shards not yet taken are removed; waiting for those in progress to finish (again to leave them to the workers)');
  };
  try {
    // Listening before the flow exists, so no event of it is missed.
    await events.waitUntilReady();
    if ((await queue.getWorkersCount()) === 0) run.onNote?.('no worker is connected yet: the shards wait in the queue until one starts (convscope worker --redis URL)');
    run.signal?.throwIfAborted();
    const node = await producer.add({
      name: mergeJobName(run.kind),
      queueName: QUEUE,
      data: { kind: run.kind, shards: run.shards.length },
      opts: { jobId: id },
      children: run.shards.map((data, i) => ({
        name: shardJobName(run.kind),
        queueName: QUEUE,
        data,
        // A finished child's result is kept in the parent (for its merge): the child itself can go.
        opts: { jobId: `${id}-${i}`, attempts: ATTEMPTS, failParentOnFailure: true, removeOnComplete: true },
      })),
    });
    parent = node.job;
    report();
    if (run.signal?.aborted) cancel();
    else run.signal?.addEventListener('abort', cancel, { once: true });
    try {
      const result = (await parent.waitUntilFinished(events)) as Result;
      return { result, cancelled };
    } catch (e) {
      const [shard, reason] = [...failures][0] ?? [];
      throw new AppError('SHARD_FAILED', shard !== undefined ? `shard ${shard} failed ${ATTEMPTS} times: ${reason}` : `the scan on the queue failed: ${(e as Error).message}`);
    }
  } finally {
    run.signal?.removeEventListener('abort', cancel);
    // The flow is of no use once read (or failed): nothing of it stays in Redis.
    if (parent) await queue.remove(id, { removeChildren: true }).catch(() => {});
    await Promise.allSettled([events.close(), producer.close(), queue.close()]);
  }
}
