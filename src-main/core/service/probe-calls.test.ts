// The probe call through the real dispatcher and service on the shipped demo (zf-mini and its
// samples): a kept job with progress, its result again by id, and an unlabelled folder refused.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../common/api-probe.ts';
import { defaultPaths, packageRoot } from '../model/resources.ts';
import { createDispatcher, type Dispatch } from './dispatcher.ts';
import { createService, type ConvscopeService } from './service.ts';

let tmp: string;
let service: ConvscopeService;
let call: Dispatch;
const samples = defaultPaths().images;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-probe-calls-'));
  const dir = path.join(packageRoot(), 'resources/models/zf-mini');
  for (const f of ['zf-mini.onnx', 'zf-mini.convscope.json', 'labels.txt']) copyFileSync(path.join(dir, f), path.join(tmp, f));
  service = createService({ shell: 'server', provider: 'cpu' });
  call = createDispatcher(service);
  await service.openModel({ path: path.join(tmp, 'zf-mini.onnx') });
  await service.openFolder({ path: samples });
}, 60_000);

afterAll(async () => {
  await service.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('probe call', () => {
  it('runs as a kept job: progress over images then layer folds, and the same result by job id', async () => {
    const events: { done: number; total: number; stage?: string; unit?: string }[] = [];
    const off = service.on((e, p) => e === 'progress' && (p as { jobId: string }).jobId === 'probe-1' && events.push(p as never));
    const r = await call('probe', { layers: ['/conv1/Conv_output_0', '/fc7/Gemm_output_0'], folds: 3, jobId: 'probe-1' });
    off();
    expect(r.ok).toBe(true);
    const value = (r as { value: ProbeResult }).value;
    expect(value).toMatchObject({ images: 300, classes: 10, folds: 3, lambda: 1, chance: 0.1 });
    expect(value.layers.map((l) => [l.layer, l.tensor, l.features])).toEqual([
      ['/conv1/Conv_output_0', '/relu1/Relu_output_0', 32], ['/fc7/Gemm_output_0', '/relu7/Relu_output_0', 256],
    ]);
    expect(events[0]).toMatchObject({ done: 0, total: 300, unit: 'images' });
    expect(events.some((e) => e.stage === 'gathering features')).toBe(true);
    expect(events.some((e) => e.stage === 'fitting layer × fold' && e.total === 6)).toBe(true);
    const jobs = await call('jobs', {});
    expect(jobs.ok && (jobs.value as { jobId: string; kind: string; args: unknown }[]).find((j) => j.jobId === 'probe-1')).toMatchObject({ kind: 'probe', args: { folds: 3 } });
    const again = await call('jobResult', { jobId: 'probe-1' });
    expect(again).toMatchObject({ ok: true, value: { kind: 'probe', value: { layers: value.layers } } });
  }, 60_000);

  it('refuses a folder without class sub-folders before any work', async () => {
    await service.openFolder({ path: path.join(samples, 'coat') });
    const r = await call('probe', {});
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(!r.ok && r.error.message).toMatch(/coat has no class sub-folders: linear probes need/);
    await service.openFolder({ path: samples });
  }, 60_000);
});
