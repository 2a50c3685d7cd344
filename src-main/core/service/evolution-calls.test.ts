// The evolution calls through the dispatcher on a real service: a checkpoint set's order and layers,
// the figure as a kept job (progress over checkpoints × images, re-attach, cancel), and the open
// model left working when it is one of the checkpoints.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../common/api.ts';
import type { EvolutionCheckpointList, EvolutionResult } from '../../common/api-evolution.ts';
import type { JobResult } from '../../common/api-jobs.ts';
import { noisePng } from '../analysis/topk/testing.ts';
import { zfTestModel } from '../onnx/index.ts';
import { createDispatcher, type Dispatch } from './dispatcher.ts';
import { createService, type ConvscopeService } from './service.ts';

let tmp: string;
let service: ConvscopeService;
let call: Dispatch;
const events: ProgressEvent[] = [];
const oldCache = process.env.CONVSCOPE_CACHE_DIR;
const ckpt = () => path.join(tmp, 'ckpt');

async function ok<T>(method: string, arg: unknown): Promise<T> {
  const r = await call(method, arg);
  if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code });
  return r.value as T;
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-evolution-calls-'));
  process.env.CONVSCOPE_CACHE_DIR = path.join(tmp, 'cache');
  mkdirSync(ckpt());
  for (const [e, seed] of [[3, 1], [12, 2], [7, 3]]) writeFileSync(path.join(ckpt(), `epoch-${e}.onnx`), zfTestModel({ inputSize: 48, channels: 1, classes: 2, seed }));
  for (let i = 0; i < 10; i++) await noisePng(path.join(tmp, 'images', String(i % 2), `${i}.png`), i + 3, 40);
  service = createService({ shell: 'server', provider: 'cpu', progressIntervalMs: 0 });
  service.on((event, payload) => event === 'progress' && events.push(payload as ProgressEvent));
  call = createDispatcher(service);
  await service.openModel({ path: path.join(ckpt(), 'epoch-7.onnx') });
  await service.openFolder({ path: path.join(tmp, 'images') });
}, 60_000);

afterAll(async () => {
  await service.close();
  if (oldCache === undefined) delete process.env.CONVSCOPE_CACHE_DIR;
  else process.env.CONVSCOPE_CACHE_DIR = oldCache;
  rmSync(tmp, { recursive: true, force: true });
});

describe('evolution calls', () => {
  it('lists a set in epoch order with its conv and fc layers', async () => {
    const r = await ok<EvolutionCheckpointList>('evolutionCheckpoints', { paths: [ckpt()] });
    expect(r.checkpoints.map((c) => [c.name, c.epoch])).toEqual([['epoch-3.onnx', 3], ['epoch-7.onnx', 7], ['epoch-12.onnx', 12]]);
    expect(r.layers.map((l) => [l.id, l.maps])).toEqual([['conv1', 8], ['conv2', 16], ['conv3', 24], ['conv4', 24], ['conv5', 16], ['fc6', 32], ['logits', 2]]);
  }, 60_000);

  it('runs the figure as a kept job: tiles as PNGs, progress over checkpoints × images, the same result on re-attach; the open model still works', async () => {
    events.length = 0;
    const r = await ok<EvolutionResult>('evolution', { checkpoints: [ckpt()], layer: 'conv2', maps: 3, jobId: 'evo-1' });
    expect(r.checkpoints.map((c) => c.epoch)).toEqual([3, 7, 12]);
    expect(r.checkpoints.every((c) => c.accuracy !== null && c.accuracy >= 0 && c.accuracy <= 1)).toBe(true);
    expect(r.maps).toHaveLength(3);
    for (const m of r.maps) {
      expect(m.entries.map((e) => e.checkpoint)).toEqual([0, 1, 2]);
      for (const e of m.entries) {
        for (const png of [e.patch, e.projection, e.projectionFull]) expect([...png.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
        expect(e.index).toBeGreaterThanOrEqual(0);
        expect(e.box.y1).toBeGreaterThan(e.box.y0);
      }
    }
    const mine = events.filter((e) => e.jobId === 'evo-1');
    expect(mine.at(-1)).toMatchObject({ done: 30, total: 30, finished: true, unit: 'images' });
    // Two stages: the checkpoints opened (each counted), then the images; a count never goes back within a stage.
    const staged = mine.filter((e) => !e.finished);
    const opening = staged.filter((e) => e.step === 1);
    expect(opening.map((e) => [e.done, e.total, e.steps, e.unit, e.stage])).toEqual([0, 1, 2, 3].map((d) => [d, 3, 2, 'checkpoints', 'opening checkpoints']));
    expect(staged.indexOf(opening.at(-1)!)).toBeLessThan(staged.findIndex((e) => e.step === 2));
    const scanning = staged.filter((e) => e.step === 2);
    expect(scanning.every((e) => e.unit === 'images' && e.total === 30 && e.stage === 'scanning')).toBe(true);
    scanning.slice(1).forEach((e, i) => expect(e.done).toBeGreaterThanOrEqual(scanning[i].done));
    const again = await ok<JobResult>('jobResult', { jobId: 'evo-1' });
    expect(again.kind).toBe('evolution');
    expect((again.value as EvolutionResult).maps.map((m) => m.channel)).toEqual(r.maps.map((m) => m.channel));
    // epoch-7 is the open model: the run used its session and left it open.
    const layers = await service.layerActivations({ path: '0/0.png', layer: 'conv2' });
    expect(layers.dims[0]).toBe(16);
  }, 60_000);

  it('cancels by job id', async () => {
    events.length = 0;
    const p = call('evolution', { checkpoints: [ckpt()], layer: 'conv5', jobId: 'evo-2', maps: 4 });
    // Cancelled once the job runs (before, there is nothing to cancel).
    while (!events.some((e) => e.jobId === 'evo-2')) await new Promise((res) => setTimeout(res, 5));
    await ok('cancel', { jobId: 'evo-2' });
    const r = await p;
    expect(r).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
  }, 60_000);

  it('refuses a set of two architectures, naming the file and the layer', async () => {
    const other = path.join(tmp, 'other.onnx');
    writeFileSync(other, zfTestModel({ inputSize: 48, channels: 1, classes: 3, seed: 9 }));
    const r = await call('evolution', { checkpoints: [ckpt(), other], layer: 'conv2' });
    expect(r).toMatchObject({ ok: false, error: { code: 'MODEL_UNSUPPORTED', message: 'checkpoints must share one architecture: other.onnx differs from epoch-3.onnx: layer "logits" is [1×3], not [1×2]' } });
  }, 60_000);
});
