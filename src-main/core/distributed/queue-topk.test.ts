// runTopk through the queue in one process (what server mode does): a real redis-server, a BullMQ
// worker on a real runtime process, checked against runTopk's local scan of the same folder.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, preprocess } from '../images/index.ts';
import { zfTestModel } from '../onnx/index.ts';
import { nodeRuntimeHost } from '../runtime/launch-node.ts';
import type { ChildProcessHost } from '../runtime/process-host.ts';
import { chooseProvider } from '../runtime/provider.ts';
import { ModelSession } from '../model/model-session.ts';
import { runTopk, type TopkRun, type TopkRunResult } from '../analysis/topk/run.ts';
import { expectSameLayer, noisePng } from '../analysis/topk/testing.ts';
import { WorkerModels } from './models.ts';
import { checkRedis, PREFIX, QUEUE } from './queue.ts';
import { NO_REDIS, redisServerBinary, startRedis, type TestRedis } from './testing.ts';
import { queueTopk, shardListing } from './topk-remote.ts';
import { startWorker } from './worker.ts';
import { Queue } from 'bullmq';

const hasRedis = redisServerBinary() !== null;
const N = 240;
let redis: TestRedis;
let tmp: string;
let host: ChildProcessHost;
let workerHost: ChildProcessHost;
let model: ModelSession;
let models: WorkerModels;
const paths: string[] = [];
const root = () => path.join(tmp, 'images');

function run(over: Partial<TopkRun> & Pick<TopkRun, 'layers'>): Promise<TopkRunResult | null> {
  return runTopk({
    model,
    folder: { root: root(), paths },
    k: 4,
    load: async (p) => preprocess(await decodeImage(path.join(root(), p), { channels: 1 }), model.info.preprocessing),
    cacheDir: null,
    ...over,
  });
}

describe('shardListing', () => {
  it('cuts the listing into consecutive runs of at most n, in order', () => {
    const todo = Array.from({ length: 7 }, (_, i) => ({ path: `${i}.png`, sig: 's' }));
    expect(shardListing(todo, 3).map((s) => s.map((i) => i.path))).toEqual([['0.png', '1.png', '2.png'], ['3.png', '4.png', '5.png'], ['6.png']]);
  });
});

describe.skipIf(!hasRedis)(`runTopk through the queue${hasRedis ? '' : ` (${NO_REDIS})`}`, () => {
  let worker: Worker | null = null;

  beforeAll(async () => {
    redis = await startRedis();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-queue-topk-'));
    writeFileSync(path.join(tmp, 'm.onnx'), zfTestModel({ inputSize: 64, channels: 1, classes: 4, seed: 5 }));
    await Promise.all(Array.from({ length: N }, (_, i) => noisePng(path.join(root(), `${i % 2 ? 'b' : 'a'}/${i}.png`), i + 50, 12)));
    paths.push(...Array.from({ length: N }, (_, i) => `${i % 2 ? 'b' : 'a'}/${i}.png`).sort((x, y) => x.localeCompare(y, 'en', { numeric: true })));
    host = nodeRuntimeHost();
    workerHost = nodeRuntimeHost();
    model = await ModelSession.open(path.join(tmp, 'm.onnx'), host, chooseProvider('cpu'));
    models = new WorkerModels(workerHost, chooseProvider('cpu'), 'the test worker');
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    await models?.close();
    await Promise.all([host?.close(), workerHost?.close()]);
    await redis?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('waits for a worker, saying so; progress counts images over all shards up to the total; the result is the local one', async () => {
    const local = await run({ layers: ['conv3'] });
    const notes: string[] = [];
    const progress: [number, number][] = [];
    const remote = queueTopk({ url: redis.url, shardSize: 30, onNote: (l) => notes.push(l) });
    const scan = run({ layers: ['conv3'], remote, onProgress: (d, t) => progress.push([d, t]) });
    // The shards are queued before any worker exists; the one started now takes them all.
    const queue = new Queue(QUEUE, { connection: { url: redis.url }, prefix: PREFIX });
    while ((await queue.getJobCounts('waiting')).waiting < N / 30) await new Promise((r) => setImmediate(r));
    await queue.close();
    worker = startWorker({ url: redis.url, models, log: () => {} });
    const got = await scan;
    expect(notes[0]).toMatch(/no worker is connected yet/);
    expect(got!.scanned).toBe(N);
    expectSameLayer(got!.layers[0], local!.layers[0]);
    expect(progress.at(-1)).toEqual([N, N]);
    expect(progress.every(([, t]) => t === N)).toBe(true);
    expect(progress.every(([d], i) => i === 0 || d >= progress[i - 1][0])).toBe(true);
    // Per batch, not only per shard.
    expect(new Set(progress.map(([d]) => d)).size).toBeGreaterThan(N / 30 + 1);
  }, 60_000);

  it('layers at different points (one cached, one not) start over together and equal the local scan', async () => {
    const cacheDir = path.join(tmp, 'cache');
    const local = await run({ layers: ['conv3', 'conv5'] });
    await run({ layers: ['conv3'], cacheDir });
    const got = await run({ layers: ['conv3', 'conv5'], cacheDir, remote: queueTopk({ url: redis.url, shardSize: 64 }) });
    expect(got!.scanned).toBe(N);
    got!.layers.forEach((l, i) => expectSameLayer(l, local!.layers[i]));
  }, 60_000);

  it('a shard whose model differs on the worker fails the scan, naming the shard and why', async () => {
    const other = path.join(tmp, 'other.onnx');
    writeFileSync(other, zfTestModel({ inputSize: 64, channels: 1, classes: 4, seed: 6 }));
    const otherModel = await ModelSession.open(other, host, chooseProvider('cpu'));
    // No worker until the shard is queued (the scan hashed the model by then); then the file is
    // replaced, and the worker started now finds other content at that path than the scan's.
    await worker!.close();
    const scan = runTopk({ model: otherModel, folder: { root: root(), paths: paths.slice(0, 20) }, layers: ['conv3'], k: 4, load: async () => new Float32Array(0), cacheDir: null, remote: queueTopk({ url: redis.url }) });
    scan.catch(() => {});
    const queue = new Queue(QUEUE, { connection: { url: redis.url }, prefix: PREFIX });
    while ((await queue.getJobCounts('waiting')).waiting < 1) await new Promise((r) => setImmediate(r));
    await queue.close();
    writeFileSync(other, zfTestModel({ inputSize: 64, channels: 1, classes: 4, seed: 7 }));
    worker = startWorker({ url: redis.url, models, log: () => {} });
    await expect(scan).rejects.toMatchObject({ code: 'SHARD_FAILED', message: expect.stringMatching(/shard 0 failed 3 times: the model .*other\.onnx on the test worker is not the one the scan was started with/) });
    await otherModel.close();
  }, 60_000);

  it('an unreachable Redis is named in one line', async () => {
    await expect(checkRedis('redis://127.0.0.1:1')).rejects.toThrow(/^cannot reach Redis at redis:\/\/127\.0\.0\.1:1: connect ECONNREFUSED/);
    await expect(checkRedis('localhost:6379')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

