// The occlusion calls through the dispatcher (schemas included), on a real service: occlusion with
// the true class from the folder name, and its faithfulness check.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaithfulnessResult, OcclusionResult } from '../../common/api-occlusion.ts';
import { zfTestModel } from '../onnx/index.ts';
import { noisePng } from '../analysis/topk/testing.ts';
import { createDispatcher, type Dispatch } from './dispatcher.ts';
import { createService, type ConvscopeService } from './service.ts';

let tmp: string;
let service: ConvscopeService;
let call: Dispatch;

async function ok<T>(method: string, arg: unknown): Promise<T> {
  const r = await call(method, arg);
  if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code });
  return r.value as T;
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-occlusion-calls-'));
  writeFileSync(path.join(tmp, 'zf.onnx'), zfTestModel({ inputSize: 64, channels: 1, classes: 3, seed: 5 }));
  writeFileSync(path.join(tmp, 'labels.txt'), 'cat\ndog\nbird\n');
  writeFileSync(path.join(tmp, 'zf.convscope.json'), JSON.stringify({ inputSize: [64, 64], channels: 'gray', scale: 255, mean: [0.5], std: [0.25], resize: 'stretch', labels: 'labels.txt' }));
  for (let i = 0; i < 4; i++) await noisePng(path.join(tmp, 'images', ['cat', 'dog'][i % 2], `${i}.png`), i, 48);
  service = createService({ shell: 'server', provider: 'cpu' });
  call = createDispatcher(service);
  await service.openModel({ path: path.join(tmp, 'zf.onnx') });
  await service.openFolder({ path: path.join(tmp, 'images') });
}, 60_000);

afterAll(async () => {
  await service.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('occlusion calls', () => {
  it('rejects bad arguments at the schema', async () => {
    expect(await call('occlusion', { path: 'cat/0.png', stride: 0 })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
  });

  it('occlusion takes the true class from the folder name, and faithfulness runs', async () => {
    const r = await ok<OcclusionResult>('occlusion', { path: 'dog/1.png', size: 16, stride: 8 });
    expect(r.targetSource).toBe('true');
    expect(r.targetClass).toBe(1);
    expect(r.targetLabel).toBe('dog');
    expect(r.grid).toEqual([7, 7]);
    expect(r.pClass).toBeInstanceOf(Float32Array);
    expect(r.top1).toBeInstanceOf(Int32Array);
    expect(Object.keys(r.labels).length).toBeGreaterThan(0);
    const f = await ok<FaithfulnessResult>('occlusionFaithfulness', { path: 'dog/1.png', layer: r.layer, channel: r.channel });
    expect(f.area).toBe(64);
    expect(f.random).toHaveLength(8);
    expect(f.mask[0]).toBe(0x89);
  }, 60_000);
});
