// The topk calls through the dispatcher (schemas included), on a real service: scan with progress
// and cancel-by-jobId then resume, and the Fig. 2 tiles.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../common/api.ts';
import type { TopkScanResult, TopkTilesResult } from '../../common/api-topk.ts';
import { zfTestModel } from '../onnx/index.ts';
import { noisePng } from '../analysis/topk/testing.ts';
import { createDispatcher, type Dispatch } from './dispatcher.ts';
import { createService, type ConvscopeService } from './service.ts';

let tmp: string;
let service: ConvscopeService;
let call: Dispatch;
const progress: ProgressEvent[] = [];
const oldCache = process.env.CONVSCOPE_CACHE_DIR;

async function ok<T>(method: string, arg: unknown): Promise<T> {
  const r = await call(method, arg);
  if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code });
  return r.value as T;
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-topk-calls-'));
  process.env.CONVSCOPE_CACHE_DIR = path.join(tmp, 'cache');
  writeFileSync(path.join(tmp, 'zf.onnx'), zfTestModel({ inputSize: 64, channels: 1, classes: 3, seed: 5 }));
  writeFileSync(path.join(tmp, 'labels.txt'), 'cat\ndog\nbird\n');
  writeFileSync(path.join(tmp, 'zf.convscope.json'), JSON.stringify({ inputSize: [64, 64], channels: 'gray', scale: 255, mean: [0.5], std: [0.25], resize: 'stretch', labels: 'labels.txt' }));
  for (let i = 0; i < 64; i++) await noisePng(path.join(tmp, 'images', ['cat', 'dog'][i % 2], `${i}.png`), i, 48);
  service = createService({ shell: 'server', provider: 'cpu' });
  service.on((event, payload) => event === 'progress' && progress.push(payload as ProgressEvent));
  call = createDispatcher(service);
  await service.openModel({ path: path.join(tmp, 'zf.onnx') });
  await service.openFolder({ path: path.join(tmp, 'images') });
}, 60_000);

afterAll(async () => {
  await service.close();
  if (oldCache === undefined) delete process.env.CONVSCOPE_CACHE_DIR;
  else process.env.CONVSCOPE_CACHE_DIR = oldCache;
  rmSync(tmp, { recursive: true, force: true });
});

describe('topk calls', () => {
  it('rejects bad arguments at the schema', async () => {
    const r = await call('topkScan', { layers: [], k: 9 });
    expect(r.ok).toBe(false);
  });

  it('has nothing cached before a scan, and tiles say so', async () => {
    expect(await ok('topkCached', { layers: ['conv2'] })).toBeNull();
    await expect(ok('topkTiles', { layer: 'conv2', channel: 0 })).rejects.toThrow(/not been scanned/);
  });

  it('a scan cancelled by its jobId resumes where it stopped, with progress events', async () => {
    const jobId = 'topk-test-1';
    const scan = ok<TopkScanResult>('topkScan', { layers: ['conv1', 'conv2'], jobId, k: 4 });
    // Cancel as soon as the job has reported some progress.
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (progress.some((p) => p.jobId === jobId && p.done > 0)) {
          clearInterval(t);
          void ok('cancel', { jobId }).then(() => resolve());
        }
      }, 2);
    });
    await expect(scan).rejects.toMatchObject({ code: 'CANCELLED' });
    const partial = await ok<TopkScanResult>('topkCached', { layers: ['conv1', 'conv2'], k: 4 });
    expect(partial.complete).toBe(false);
    const done = partial.layers[0].images;
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(64);
    const resumed = await ok<TopkScanResult>('topkScan', { layers: ['conv1', 'conv2'], k: 4 });
    expect(resumed.complete).toBe(true);
    expect(resumed.scanned).toBe(64 - done);
    expect(resumed.layers[1]).toMatchObject({ layer: 'conv2', tensor: 'relu2', images: 64, k: 4, dims: [16, 8, 8] });
    const last = progress.filter((p) => p.finished).at(-1)!;
    expect(last.done).toBe(64 - done);
  }, 60_000);

  it('tiles: patches under the receptive field and projections from one batch', async () => {
    const scan = await ok<TopkScanResult>('topkScan', { layers: ['conv2'], k: 4 });
    expect(scan.scanned).toBe(0);
    const map = scan.layers[0].maps.find((m) => m.entries.length === 4 && m.entries[0].value > 0)!;
    const r = await ok<TopkTilesResult>('topkTiles', { layer: 'conv2', channel: map.channel, k: 4 });
    expect(r.tiles.map((t) => t.image)).toEqual(map.entries.map((e) => e.image));
    for (const t of r.tiles) {
      const patch = await sharp(Buffer.from(t.patch)).metadata();
      expect([patch.height, patch.width]).toEqual([t.box.y1 - t.box.y0, t.box.x1 - t.box.x0]);
      const proj = await sharp(Buffer.from(t.projection!)).metadata();
      expect([proj.height, proj.width]).toEqual([patch.height, patch.width]);
    }
    // The batched projection of entry j equals the layer browser's projection of that image alone.
    const j = 2;
    const [single] = await ok<{ png: Uint8Array }[]>('project', {
      path: r.tiles[j].image, layer: 'relu2', mode: 'single', targets: [{ channel: map.channel, position: r.tiles[j].position }],
    });
    expect(Buffer.from(r.tiles[j].projectionFull!).equals(Buffer.from(single.png))).toBe(true);
    const noProj = await ok<TopkTilesResult>('topkTiles', { layer: 'conv2', channel: map.channel, k: 4, projections: false });
    expect(noProj.tiles[0].projection).toBeNull();
  }, 60_000);
});
