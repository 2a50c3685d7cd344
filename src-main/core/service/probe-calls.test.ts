// The probe call through the real dispatcher and service on the shipped demo (zf-mini and its
// samples): a kept job with progress, its result again by id, and an unlabelled folder refused.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeCheckpointsResult, ProbeResult } from '../../common/api-probe.ts';
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
    const events: { done: number; total: number; stage?: string; unit?: string; step?: number; steps?: number; finished: boolean }[] = [];
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
    // Two numbered stages, each counting its own items: the count going back to 0 is the next stage.
    expect(events.some((e) => e.stage === 'features' && e.step === 1 && e.steps === 2 && e.unit === 'images' && e.total === 300)).toBe(true);
    expect(events.some((e) => e.stage === 'fits (layer × fold)' && e.step === 2 && e.steps === 2 && e.unit === 'fits' && e.total === 6)).toBe(true);
    const staged = events.filter((e) => e.step !== undefined && !e.finished);
    for (let i = 1; i < staged.length; i++) expect(staged[i].step! > staged[i - 1].step! || staged[i].done >= staged[i - 1].done, 'a count goes back only with a new stage').toBe(true);
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

  it('probes a checkpoint set as a kept job: one block per checkpoint in epoch order, each what `probe` gives for that model', async () => {
    const checkpoints = path.join(packageRoot(), 'resources/models/zf-mini/checkpoints');
    const layers = ['/conv2/Conv_output_0', '/fc7/Gemm_output_0'];
    const events: { done: number; total: number; stage?: string }[] = [];
    const off = service.on((e, p) => e === 'progress' && (p as { jobId: string }).jobId === 'probe-ckpt' && events.push(p as never));
    // The open model (a copy of the final zf-mini) comes last, reusing the session the app holds.
    const r = await call('probeCheckpoints', { checkpoints: [path.join(tmp, 'zf-mini.onnx'), checkpoints], layers, folds: 3, jobId: 'probe-ckpt' });
    off();
    expect(r.ok, JSON.stringify(!r.ok && r.error)).toBe(true);
    const value = (r as { value: ProbeCheckpointsResult }).value;
    expect(value.checkpoints.map((c) => [c.name, c.epoch])).toEqual([['epoch-01.onnx', 1], ['epoch-02.onnx', 2], ['epoch-05.onnx', 5], ['epoch-10.onnx', 10], ['zf-mini.onnx', null]]);
    // Three stages: the five checkpoints opened, their features, their fits.
    const opening = events.filter((e) => e.stage === 'opening checkpoints');
    // (throttled: the stage's first and last counts are sent, some between)
    expect([opening[0].done, opening.at(-1)!.done, opening.at(-1)!.total]).toEqual([0, 5, 5]);
    opening.slice(1).forEach((e, i) => expect(e.done).toBeGreaterThanOrEqual(opening[i].done));
    expect(events.indexOf(opening.at(-1)!)).toBeLessThan(events.findIndex((e) => e.stage === 'features'));
    expect(events.some((e) => e.stage === 'features' && e.total === 5 * 300)).toBe(true);
    expect(events.some((e) => e.stage === 'fits (layer × fold)' && e.total === 5 * 2 * 3)).toBe(true);
    // The final checkpoint is the open model: its block equals the `probe` call's.
    const single = await call('probe', { layers, folds: 3 });
    expect(single.ok).toBe(true);
    const { ms: _a, ...mine } = value.checkpoints[4];
    const { ms: _b, ...theirs } = (single as { value: ProbeResult }).value;
    expect({ ...mine, file: undefined, name: undefined, epoch: undefined, model: theirs.model }).toEqual({ ...theirs, file: undefined, name: undefined, epoch: undefined });
    expect(new Set(value.checkpoints.map((c) => c.layers[1].accuracy)).size).toBeGreaterThan(1);
    const again = await call('jobResult', { jobId: 'probe-ckpt' });
    expect(again).toMatchObject({ ok: true, value: { kind: 'probeCheckpoints', value: { checkpoints: value.checkpoints.map((c) => ({ layers: c.layers })) } } });
    // The open model still works after the run (its session was reused, not closed).
    expect((await call('probe', { layers: layers.slice(0, 1), folds: 2 })).ok).toBe(true);
  }, 180_000);

  it('refuses a checkpoint set of two architectures, naming the file and the layer', async () => {
    const r = await call('probeCheckpoints', { checkpoints: [path.join(packageRoot(), 'resources/models/zf-mini/checkpoints'), path.join(packageRoot(), 'resources/models/alex-mini/alex-mini.onnx')] });
    expect(r).toMatchObject({ ok: false });
    expect(!r.ok && r.error.message).toMatch(/checkpoints must share one architecture: alex-mini\.onnx differs from epoch-01\.onnx/);
  }, 60_000);

  it('stops a probe over checkpoints when cancelled, while it gathers features', async () => {
    const off = service.on((e, p) => {
      const ev = p as { jobId: string; done: number; stage?: string };
      if (e === 'progress' && ev.jobId === 'probe-ckpt-cancel' && ev.stage === 'features' && ev.done > 0) void call('cancel', { jobId: 'probe-ckpt-cancel' });
    });
    const r = await call('probeCheckpoints', { checkpoints: [path.join(packageRoot(), 'resources/models/zf-mini/checkpoints')], jobId: 'probe-ckpt-cancel' });
    off();
    expect(r).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
  }, 60_000);
});
