// Long jobs report counts that move (issue 14): on the shipped zf-mini and its samples, occlusion
// counts positions from its first event, a sweep of one image counts steps pass by pass, and a top-k
// scan of a small folder counts images in several passes. Every update is kept (interval 0).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../common/api.ts';
import { defaultPaths, packageRoot } from '../model/resources.ts';
import { createService, type ConvscopeService } from './service.ts';

let tmp: string;
let service: ConvscopeService;
const events: ProgressEvent[] = [];
const oldCache = process.env.CONVSCOPE_CACHE_DIR;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-progress-'));
  process.env.CONVSCOPE_CACHE_DIR = path.join(tmp, 'cache');
  service = createService({ shell: 'server', provider: 'cpu', progressIntervalMs: 0 });
  service.on((event, payload) => {
    if (event === 'progress') events.push(payload as ProgressEvent);
  });
  await service.openModel({ path: path.join(packageRoot(), 'resources/models/zf-mini/zf-mini.onnx') });
  await service.openFolder({ path: defaultPaths().images });
});

afterAll(async () => {
  await service.close();
  if (oldCache === undefined) delete process.env.CONVSCOPE_CACHE_DIR;
  else process.env.CONVSCOPE_CACHE_DIR = oldCache;
  rmSync(tmp, { recursive: true, force: true });
});

/** The updates of the one job a call ran (its `finished` event left out). */
function jobOf(label: RegExp): ProgressEvent[] {
  const mine = events.filter((e) => label.test(e.label));
  expect(new Set(mine.map((e) => e.jobId)).size).toBe(1);
  return mine.filter((e) => !e.finished);
}

async function firstImage(): Promise<string> {
  return (await service.listImages({ offset: 0, limit: 1 })).entries[0].path;
}

describe('progress granularity', () => {
  it('occlusion counts positions, from 0 of the whole grid, batch by batch', async () => {
    const r = await service.occlusion({ path: await firstImage(), size: 4, stride: 2 });
    const cells = r.grid[0] * r.grid[1];
    const updates = jobOf(/^Occlusion of /);
    expect(updates.every((e) => e.unit === 'positions')).toBe(true);
    // Known from the first event: no `0 / 1`.
    expect(updates.every((e) => e.total === cells)).toBe(true);
    expect(updates[0].done).toBe(0);
    const counts = [...new Set(updates.map((e) => e.done))];
    expect(counts.length).toBeGreaterThanOrEqual(10);
    expect(counts.at(-1)).toBe(cells);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
  });

  it('a sweep counts its steps as passes finish (on the demo model\'s small input, a pass per image)', async () => {
    const thetas = Array.from({ length: 25 }, (_, i) => -12 + i);
    const { entries } = await service.listImages({ offset: 0, limit: 3 });
    await service.invarianceSweep({ paths: entries.map((e) => e.path), transform: 'translate-x', thetas });
    const updates = jobOf(/^Invariance sweep/);
    expect(updates.every((e) => e.unit === 'steps' && e.total === 3 * 24)).toBe(true);
    const counts = [...new Set(updates.map((e) => e.done))];
    expect(counts).toEqual(expect.arrayContaining([24, 48, 72]));
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
  });

  it('a top-k scan counts images in about ten passes', async () => {
    const info = service.currentModel!.info;
    const conv = info.layers.filter((l) => l.kind === 'conv').map((l) => l.id);
    await service.topkScan({ layers: conv });
    const updates = jobOf(/^Top-9 scan of /);
    expect(updates.every((e) => e.unit === 'images' && e.total === 300)).toBe(true);
    const counts = [...new Set(updates.map((e) => e.done))];
    expect(counts.length).toBeGreaterThanOrEqual(10);
    expect(counts.at(-1)).toBe(300);
  });
});
