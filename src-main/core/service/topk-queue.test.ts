// Server mode with --redis: the Top-9 view's scans go through the queue to a worker (a real
// redis-server, a BullMQ worker on a real runtime process) and equal the same service's local scan;
// topkQueue tells how many workers are connected.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TopkQueueInfo, TopkScanResult } from '../../common/api-topk.ts';
import { expectSameLayer, noisePng } from '../analysis/topk/testing.ts';
import { WorkerModels } from '../distributed/models.ts';
import { NO_REDIS, redisServerBinary, startRedis, type TestRedis } from '../distributed/testing.ts';
import { startWorker } from '../distributed/worker.ts';
import { zfTestModel } from '../onnx/index.ts';
import { nodeRuntimeHost } from '../runtime/launch-node.ts';
import type { ChildProcessHost } from '../runtime/process-host.ts';
import { chooseProvider } from '../runtime/provider.ts';
import { createDispatcher, type Dispatch } from './dispatcher.ts';
import { createService, type ConvscopeService } from './service.ts';

const hasRedis = redisServerBinary() !== null;
const oldCache = process.env.CONVSCOPE_CACHE_DIR;

describe.skipIf(!hasRedis)(`topk calls with --redis${hasRedis ? '' : ` (${NO_REDIS})`}`, () => {
  let tmp: string;
  let redis: TestRedis;
  let queued: ConvscopeService;
  let local: ConvscopeService;
  let workerHost: ChildProcessHost;
  let models: WorkerModels;
  let worker: Worker | null = null;

  async function ok<T>(call: Dispatch, method: string, arg: unknown): Promise<T> {
    const r = await call(method, arg);
    if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code });
    return r.value as T;
  }

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-topk-queue-'));
    redis = await startRedis();
    writeFileSync(path.join(tmp, 'zf.onnx'), zfTestModel({ inputSize: 64, channels: 1, classes: 3, seed: 5 }));
    for (let i = 0; i < 90; i++) await noisePng(path.join(tmp, 'images', ['cat', 'dog'][i % 2], `${i}.png`), i, 24);
    queued = createService({ shell: 'server', provider: 'cpu', redis: redis.url });
    local = createService({ shell: 'server', provider: 'cpu' });
    for (const s of [queued, local]) {
      await s.openModel({ path: path.join(tmp, 'zf.onnx') });
      await s.openFolder({ path: path.join(tmp, 'images') });
    }
    workerHost = nodeRuntimeHost();
    models = new WorkerModels(workerHost, chooseProvider('cpu'), 'the test worker');
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    await models?.close();
    await Promise.all([queued?.close(), local?.close(), workerHost?.close()]);
    await redis?.stop();
    if (oldCache === undefined) delete process.env.CONVSCOPE_CACHE_DIR;
    else process.env.CONVSCOPE_CACHE_DIR = oldCache;
    rmSync(tmp, { recursive: true, force: true });
  });

  it('counts the connected workers; scans through them equal the local scan', async () => {
    const call = createDispatcher(queued);
    expect(await ok<TopkQueueInfo>(call, 'topkQueue', {})).toEqual({ queue: redis.url, workers: 0 });
    worker = startWorker({ url: redis.url, models, log: () => {} });
    await worker.waitUntilReady();
    expect((await ok<TopkQueueInfo>(call, 'topkQueue', {})).workers).toBe(1);
    expect(await ok<TopkQueueInfo>(createDispatcher(local), 'topkQueue', {})).toEqual({ queue: null, workers: 0 });

    process.env.CONVSCOPE_CACHE_DIR = path.join(tmp, 'cache-queued');
    const got = await ok<TopkScanResult>(call, 'topkScan', { layers: ['conv3', 'conv5'], k: 4 });
    process.env.CONVSCOPE_CACHE_DIR = path.join(tmp, 'cache-local');
    const want = await ok<TopkScanResult>(createDispatcher(local), 'topkScan', { layers: ['conv3', 'conv5'], k: 4 });
    expect(got.scanned).toBe(90);
    got.layers.forEach((l, i) => expectSameLayer(l, want.layers[i]));
  }, 60_000);
});

