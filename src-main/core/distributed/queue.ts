// What the machines of a distributed scan share: the Redis connection (from a URL), the one BullMQ
// queue and how jobs in it are named. A scan is a flow: one child job per shard of the work (named
// `<kind>:shard`) under a parent (`<kind>:merge`) that a worker runs once every child finished; a
// scan kind (kinds.ts) says how to run a shard and how to merge shard results.
import { Redis } from 'ioredis';
import { Queue, type ConnectionOptions } from 'bullmq';
import { AppError } from '../../common/errors.ts';

/** The queue every worker takes jobs from: shards and merges of every scan kind. */
export const QUEUE = 'convscope-scans';
/** Namespaces our keys in a Redis shared with other applications. */
export const PREFIX = 'convscope';

export const shardJobName = (kind: string) => `${kind}:shard`;
export const mergeJobName = (kind: string) => `${kind}:merge`;

/** The job name's kind and role, or null for a name that is none of ours. */
export function parseJobName(name: string): { kind: string; role: 'shard' | 'merge' } | null {
  const m = /^([a-z][a-z0-9-]*):(shard|merge)$/.exec(name);
  return m ? { kind: m[1], role: m[2] as 'shard' | 'merge' } : null;
}

/** The URL, checked: redis:// or rediss:// (TLS), with a host. */
export function redisUrl(text: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new AppError('INVALID_ARGUMENT', `--redis takes a URL such as redis://127.0.0.1:6379, got "${text}"`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new AppError('INVALID_ARGUMENT', `--redis takes a redis:// or rediss:// URL, got "${text}"`);
  if (!u.hostname) throw new AppError('INVALID_ARGUMENT', `--redis URL "${text}" names no host`);
  return text;
}

/** The URL with any password replaced, for messages. */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * Checks that Redis answers at `url`, once, quickly: BullMQ's own connections retry forever (what a
 * worker wants when Redis restarts), so a mistyped URL would otherwise hang without a word.
 */
export async function checkRedis(url: string, timeoutMs = 5000): Promise<void> {
  redisUrl(url);
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // connect() then rejects with "Connection is closed."; the cause (ECONNREFUSED, ENOTFOUND, a
  // wrong password) comes as an 'error' event, which also keeps ioredis from printing it.
  let cause: Error | null = null;
  probe.on('error', (e: Error) => (cause ??= e));
  try {
    await probe.connect();
    await probe.ping();
  } catch (e) {
    const why = (cause as Error | null)?.message || (e as Error).message || String(e);
    throw new AppError('QUEUE_UNREACHABLE', `cannot reach Redis at ${shownUrl(url)}: ${why}`, { url: shownUrl(url) });
  } finally {
    probe.disconnect();
  }
}

/** `convscope worker` processes connected to the queue at `url` now. */
export async function countWorkers(url: string): Promise<number> {
  const queue = new Queue(QUEUE, { connection: connection(url), prefix: PREFIX });
  queue.on('error', () => {});
  try {
    return await queue.getWorkersCount();
  } finally {
    await queue.close();
  }
}

/** BullMQ's connection options for `url` (each Queue, Worker and QueueEvents opens its own clients). */
export function connection(url: string): ConnectionOptions {
  // null: BullMQ's blocking commands must wait through a reconnect rather than fail.
  return { url, maxRetriesPerRequest: null };
}
