// Top-k scans spread over workers, as users run them: a real redis-server of the test's own, real
// `convscope worker` processes, the real `convscope topk --redis`; every sharded result is checked
// against a local scan of the same folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Job, Queue, QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noisePng } from '../core/analysis/topk/testing.ts';
import { PREFIX, QUEUE } from '../core/distributed/queue.ts';
import { NO_REDIS, redisServerBinary, startRedis, type TestRedis } from '../core/distributed/testing.ts';
import { zfTestModel } from '../core/onnx/index.ts';
import { runCli } from './testing.ts';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/convscope.mjs');
const hasRedis = redisServerBinary() !== null;

/** A convscope process whose stderr can be waited on as it runs. */
class Proc {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly done: Promise<number>;
  private waiters: (() => void)[] = [];

  constructor(args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      this.waiters.forEach((w) => w());
    });
    this.done = new Promise((resolve) => this.child.on('close', (code, signal) => resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0))));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves once `holds()` is true, checked whenever stderr grows (rejects when the process ends first). */
  waitUntil(holds: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (holds()) {
          this.waiters = this.waiters.filter((w) => w !== check);
          resolve();
        }
      };
      this.waiters.push(check);
      check();
      void this.done.then(() => (holds() ? resolve() : reject(new Error(`ended before ${what}:\n${this.stderr}`))));
    });
  }

  waitFor(re: RegExp): Promise<void> {
    return this.waitUntil(() => re.test(this.stderr), String(re));
  }

  /** Resolves once this worker finished `n` shards in all. */
  waitForShards(n: number): Promise<void> {
    return this.waitUntil(() => this.shardsDone().length >= n, `${n} shards`);
  }

  /** Shard jobs this worker finished, by id. */
  shardsDone(): string[] {
    return [...this.stderr.matchAll(/topk shard (\S+) done/g)].map((m) => m[1]);
  }
}

const N = 2000;
const SHARD = 100;
let redis: TestRedis;
let tmp: string;
let model: string;
let images: string;
let local: ScanJson;
let localCache: unknown;
const workers: Proc[] = [];
// Short locks, so a killed worker's shard is retried within seconds; not so short that a busy
// machine's pauses (the first shard starts a runtime process) let a live worker's lock lapse.
const WORKER_ENV = { CONVSCOPE_QUEUE_LOCK_MS: '3000' };

interface ScanJson {
  images: number;
  failed: number;
  total: number;
  scanned: number;
  skipped: { path: string; reason: string }[];
  maps: { channel: number; firingRate: number; meanMax: number; entries: { image: string; index: number; position: number[]; value: number }[] }[];
}

const scanArgs = (...extra: string[]) => ['topk', '--model', model, '--images', images, '--layer', 'conv3', '--k', '5', '--json', '--provider', 'cpu', ...extra];
const sharded = (...extra: string[]) => scanArgs('--redis', redis.url, '--shard-size', String(SHARD), ...extra);

function startWorker(): Proc {
  const w = new Proc(['worker', '--redis', redis.url, '--provider', 'cpu'], WORKER_ENV);
  workers.push(w);
  return w;
}

function expectSameAsLocal(got: ScanJson): void {
  expect(got.images).toBe(local.images);
  expect(got.failed).toBe(local.failed);
  expect(got.total).toBe(local.total);
  expect(got.skipped).toEqual(local.skipped);
  expect(got.maps).toHaveLength(local.maps.length);
  got.maps.forEach((m, c) => {
    const want = local.maps[c];
    expect(m.firingRate).toBe(want.firingRate);
    expect(m.meanMax).toBeCloseTo(want.meanMax, 9);
    expect(m.entries.map((e) => [e.image, e.index, ...e.position])).toEqual(want.entries.map((e) => [e.image, e.index, ...e.position]));
    m.entries.forEach((e, i) => expect(Math.abs(e.value - want.entries[i].value)).toBeLessThanOrEqual(1e-6));
  });
}

/** The one cache file of a cache folder, parsed. */
function cacheOf(dir: string): { sumMax: number[] } & Record<string, unknown> {
  const folder = path.join(dir, 'topk');
  const files = readdirSync(folder).filter((f) => f.endsWith('.json'));
  expect(files).toHaveLength(1);
  return JSON.parse(readFileSync(path.join(folder, files[0]), 'utf8'));
}

async function scan(args: string[], cache: string): Promise<ScanJson> {
  const r = await runCli(args, { CONVSCOPE_CACHE_DIR: cache });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe.skipIf(!hasRedis)(`convscope topk --redis with convscope worker processes${hasRedis ? '' : ` (${NO_REDIS})`}`, () => {
  beforeAll(async () => {
    redis = await startRedis();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-distributed-'));
    model = path.join(tmp, 'zf.onnx');
    writeFileSync(model, zfTestModel({ inputSize: 64, channels: 1, classes: 4, seed: 3 }));
    images = path.join(tmp, 'images');
    // Tiny images (the model resizes them): the test is about the queue, not the model's speed.
    await Promise.all(Array.from({ length: N }, (_, i) => noisePng(path.join(images, `c${i % 5}`, `${i}.png`), i, 12)));
    // One file no machine can decode: a skipped file, as locally.
    writeFileSync(path.join(images, 'c2', 'broken.png'), 'not a png');
    const [w1, w2] = [startWorker(), startWorker()];
    local = await scan(scanArgs(), path.join(tmp, 'cache-local'));
    localCache = cacheOf(path.join(tmp, 'cache-local'));
    await Promise.all([w1.waitFor(/taking shards/), w2.waitFor(/taking shards/)]);
  }, 120_000);

  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.done));
    await redis?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('the sharded scan equals the local scan (lists, positions, values, firing counts, skipped files) and writes the same cache', async () => {
    expect(local).toMatchObject({ images: N, failed: 1, total: N + 1, scanned: N + 1 });
    const cache = path.join(tmp, 'cache-sharded');
    const before = workers.map((w) => w.shardsDone().length);
    const got = await scan(sharded(), cache);
    expect(got.scanned).toBe(N + 1);
    expectSameAsLocal(got);
    // Both workers took shards, and every shard was scanned once.
    const taken = workers.map((w, i) => w.shardsDone().length - before[i]);
    expect(taken.every((n) => n > 0), `shards per worker: ${taken}`).toBe(true);
    expect(taken.reduce((a, b) => a + b)).toBe(Math.ceil((N + 1) / SHARD));
    const { sumMax, ...rest } = cacheOf(cache);
    const { sumMax: wantSum, ...wantRest } = localCache as { sumMax: number[] };
    expect(rest).toEqual(wantRest);
    sumMax.forEach((v, c) => expect(v).toBeCloseTo(wantSum[c], 9));
    // A repeat comes from that cache, without the queue.
    expect((await scan(sharded(), cache)).scanned).toBe(0);
  }, 120_000);

  it('kill -9 of a worker in the middle of a shard: another worker scans that shard again, the result is the same', async () => {
    const events = new QueueEvents(QUEUE, { connection: { url: redis.url }, prefix: PREFIX });
    const queue = new Queue(QUEUE, { connection: { url: redis.url }, prefix: PREFIX });
    await events.waitUntilReady();
    let victim: { worker: Proc; job: string } | null = null;
    const killed = new Promise<void>((resolve) => {
      events.on('progress', ({ jobId }) => {
        if (victim) return;
        void (async () => {
          const job = await Job.fromId(queue, jobId);
          const w = workers.find((p) => job?.processedBy?.endsWith(`:${p.pid}`) && p.child.exitCode === null);
          if (!job || !w || victim) return;
          // Frozen first, then checked: the shard is surely unfinished when the worker dies.
          w.child.kill('SIGSTOP');
          if ((await job.getState()) === 'active' && !victim) {
            victim = { worker: w, job: jobId };
            w.child.kill('SIGKILL');
            resolve();
          } else w.child.kill('SIGCONT');
        })();
      });
    });
    const cli = runCli(sharded('--no-cache'), {});
    await killed;
    const r = await cli;
    await events.close();
    await queue.close();
    expect(r.code, r.stderr).toBe(0);
    expectSameAsLocal(JSON.parse(r.stdout));
    const { worker, job } = victim!;
    expect(await worker.done).toBe(137);
    expect(worker.shardsDone()).not.toContain(job);
    expect(workers.filter((w) => w !== worker).some((w) => w.shardsDone().includes(job))).toBe(true);
  }, 120_000);

  it('cancel (Ctrl-C) removes the flow and keeps the finished shards; the rerun scans only the rest and equals the local scan', async () => {
    const live = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    const before = live.map((w) => w.shardsDone().length);
    const done = () => live.reduce((a, w, i) => a + w.shardsDone().length - before[i], 0);
    const cache = path.join(tmp, 'cache-cancel');
    const cli = new Proc(sharded(), { CONVSCOPE_CACHE_DIR: cache });
    // Two shards finished, then Ctrl-C.
    await Promise.race(live.map((w, i) => w.waitForShards(before[i] + 2)));
    cli.child.kill('SIGINT');
    expect(await cli.done, cli.stderr).toBe(130);
    expect(cli.stderr).toMatch(/convscope: cancelling: the shards not yet taken are removed; waiting for those in progress/);
    const m = /convscope: interrupted; (\d+) of (\d+) images are kept in the cache/.exec(cli.stderr);
    expect(m, cli.stderr).not.toBeNull();
    const kept = Number(m![1]);
    expect(kept).toBeGreaterThanOrEqual(2 * SHARD);
    expect(kept).toBeLessThan(N);
    const shardsFirst = done();
    // What is kept is exactly the finished shards (shard i of 2001 images: 100, the last 1).
    const finished = live.flatMap((w, i) => w.shardsDone().slice(before[i]));
    expect(kept).toBe(finished.map((id) => Number(id.split('-').pop())).reduce((a, i) => a + Math.min(SHARD, N + 1 - i * SHARD), 0));
    // Nothing of the flow is left in Redis.
    const queue = new Queue(QUEUE, { connection: { url: redis.url }, prefix: PREFIX });
    const counts = await queue.getJobCounts();
    await queue.close();
    expect(Object.values(counts).reduce((a, b) => a + b, 0), JSON.stringify(counts)).toBe(0);
    const resumed = await scan(sharded(), cache);
    expect(resumed.scanned).toBe(N + 1 - kept);
    expectSameAsLocal(resumed);
    // No shard scanned twice: the finished ones plus the rest's make up the folder once.
    expect(shardsFirst + Math.ceil((N + 1 - kept) / SHARD)).toBe(done());
  }, 120_000);

  it('a worker started during a scan joins and takes shards', async () => {
    const first = workers.find((w) => w.child.exitCode === null && w.child.signalCode === null)!;
    const before = first.shardsDone().length;
    const cli = new Proc(sharded('--no-cache'), {});
    await first.waitForShards(before + 1);
    // The running worker is held still, so the scan can only go on if the new one takes shards.
    first.child.kill('SIGSTOP');
    const late = startWorker();
    try {
      await late.waitFor(/topk shard \S+ done/);
    } finally {
      first.child.kill('SIGCONT');
    }
    expect(await cli.done, cli.stderr).toBe(0);
    expectSameAsLocal(JSON.parse(cli.stdout));
    expect(late.shardsDone().length).toBeGreaterThan(0);
  }, 120_000);

  it('an unreachable Redis is one line, exit 1; a URL that is not redis:// is a usage error', async () => {
    const r = await runCli(['worker', '--redis', 'redis://127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^convscope: cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/?: .*ECONNREFUSED/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const t = await runCli(scanArgs('--redis', 'http://127.0.0.1:6379'));
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/--redis takes a redis:\/\/ or rediss:\/\/ URL, got "http:\/\/127\.0\.0\.1:6379"/);
  });
});

