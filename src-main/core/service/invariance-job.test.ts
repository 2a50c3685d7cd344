// The view's whole sweep as one kept job (invarianceSweeps): exactly the numbers the view's former
// per-chunk calls (invarianceSweep, two images each) gave, progress in steps over every transform
// and image, its parts (jobParts) in order while it runs, cancel by job id, and a sweep that stops on
// an unreadable image while the next transform still runs. On the demo model and on a generated
// 3×128×128 model, where one image's steps are split over several passes.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../common/api.ts';
import type { InvariancePart, InvarianceSweepResult, InvarianceSweepSpec, InvarianceSweepsResult } from '../../common/api-invariance.ts';
import type { JobInfo } from '../../common/api-jobs.ts';
import { thetaRange } from '../../common/api-invariance.ts';
import { zfTestModel } from '../onnx/test-models.ts';
import { defaultPaths } from '../model/resources.ts';
import { createDispatcher } from './dispatcher.ts';
import { createService, type ConvscopeService } from './service.ts';

let service: ConvscopeService;
const progress: ProgressEvent[] = [];
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-invjob-'));
  service = createService({ shell: 'server', provider: 'cpu', progressIntervalMs: 0 });
  service.on((event, payload) => {
    if (event === 'progress') progress.push(payload as ProgressEvent);
  });
  await service.openModel({ path: defaultPaths().model });
  await service.openFolder({ path: defaultPaths().images });
}, 60_000);
afterAll(async () => {
  await service.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** The view's former way: each transform in calls of two images, their images joined. */
async function perChunk(paths: string[], sweeps: InvarianceSweepSpec[], layers?: string[]): Promise<InvarianceSweepResult[]> {
  const out: InvarianceSweepResult[] = [];
  for (const s of sweeps) {
    const images = [];
    let first: InvarianceSweepResult | null = null;
    for (let i = 0; i < paths.length; i += 2) {
      const r = await service.invarianceSweep({ paths: paths.slice(i, i + 2), ...s, ...(layers ? { layers } : {}) });
      first ??= r;
      images.push(...r.images);
    }
    out.push({ ...first!, images });
  }
  return out;
}

/** Every number of two sweeps, bit for bit (typed arrays as plain lists so NaN and -0 compare too). */
function expectSame(one: InvarianceSweepsResult, chunks: InvarianceSweepResult[]): void {
  expect(one.runs.map((r) => r.error)).toEqual(chunks.map(() => undefined));
  expect(one.runs.length).toBe(chunks.length);
  one.runs.forEach((run, k) => {
    const ref = chunks[k];
    expect([run.transform, run.thetas, run.layers, run.labels]).toEqual([ref.transform, ref.thetas, ref.layers, ref.labels]);
    expect(run.images.map((i) => i.path)).toEqual(ref.images.map((i) => i.path));
    run.images.forEach((img, i) => {
      const r = ref.images[i];
      expect([img.trueClass, img.trueIndex, img.trueFrom, img.norm]).toEqual([r.trueClass, r.trueIndex, r.trueFrom, r.norm]);
      expect(Object.is(img.pTrue, r.pTrue)).toBe(false);
      expect(Array.from(img.pTrue)).toEqual(Array.from(r.pTrue));
      expect(Array.from(img.top1)).toEqual(Array.from(r.top1));
      for (const l of run.layers) {
        expect(Array.from(img.distance[l])).toEqual(Array.from(r.distance[l]));
        expect(Array.from(img.normalized[l])).toEqual(Array.from(r.normalized[l]));
      }
    });
  });
}

const FIG5 = (side: number): InvarianceSweepSpec[] => [
  { transform: 'translate-y', thetas: thetaRange(-Math.round((60 * side) / 224), Math.round((60 * side) / 224), 2 * Math.round((60 * side) / 224) + 1) },
  { transform: 'scale', thetas: thetaRange(1, 1.8, 17) },
  { transform: 'rotate', thetas: thetaRange(0, 350, 36) },
];

describe('invarianceSweeps (one kept job)', () => {
  it('gives exactly what the per-chunk calls gave, on the demo model (Fig. 5, five images)', async () => {
    const { entries } = await service.listImages({ offset: 0, limit: 5 });
    const paths = entries.map((e) => e.path);
    const one = await service.invarianceSweeps({ paths, sweeps: FIG5(64), jobId: 'inv-same-demo' });
    expectSame(one, await perChunk(paths, FIG5(64)));
    // Progress counted steps over all transforms and images: 5 × (34 + 16 + 35), θ = 0, 1 and 0° not run.
    const mine = progress.filter((p) => p.jobId === 'inv-same-demo');
    expect(mine.every((p) => p.unit === 'steps' && p.total === 5 * (34 + 16 + 35))).toBe(true);
    const counts = mine.map((p) => p.done);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(new Set(counts).size).toBeGreaterThanOrEqual(15);
    expect(mine.at(-1)).toMatchObject({ finished: true, done: 5 * (34 + 16 + 35) });
    // Kept: listed with its arguments (no job id), its result and parts by id.
    const listed = (await service.jobs({})).find((j) => j.jobId === 'inv-same-demo') as JobInfo & { kind: 'invariance' };
    expect(listed).toMatchObject({ kind: 'invariance', finished: true, unit: 'steps', args: { paths, sweeps: FIG5(64) } });
    expect(listed.args).not.toHaveProperty('jobId');
    const kept = await service.jobResult({ jobId: 'inv-same-demo' });
    expect(kept.kind).toBe('invariance');
    expect(kept.value).toBe(one);
    const parts = await service.jobParts({ jobId: 'inv-same-demo', from: 0 });
    expect(parts.finished).toBe(true);
    const list = parts.parts as InvariancePart[];
    // Per transform: its start, then its images in order.
    expect(list.map((p) => `${p.run}:${p.part === 'image' ? p.image.path : p.part}`)).toEqual(
      [0, 1, 2].flatMap((run) => [`${run}:start`, ...paths.map((p) => `${run}:${p}`)]),
    );
    expect(list.filter((p) => p.part === 'image').map((p) => (p as { image: unknown }).image)).toEqual(one.runs.flatMap((r) => r.images));
    expect((await service.jobParts({ jobId: 'inv-same-demo', from: 7 })).parts).toEqual(list.slice(7));
    expect((await service.jobParts({ jobId: 'inv-same-demo', from: 99 })).parts).toEqual([]);
  }, 120_000);

  it('gives exactly what the per-chunk calls gave on a 3×128×128 model, where an image\'s steps take several passes', async () => {
    const file = path.join(tmp, 'zf128.onnx');
    writeFileSync(file, zfTestModel({ inputSize: 128, channels: 3, classes: 10, seed: 5 }));
    await service.openModel({ path: file });
    try {
      const { entries } = await service.listImages({ offset: 0, limit: 3 });
      const paths = entries.map((e) => e.path);
      const sweeps: InvarianceSweepSpec[] = [{ transform: 'translate-x', thetas: thetaRange(-20, 20, 41) }, { transform: 'rotate', thetas: thetaRange(0, 90, 10) }];
      const layers = service.currentModel!.info.layers.filter((l) => l.kind === 'relu').map((l) => l.id).slice(0, 2);
      const one = await service.invarianceSweeps({ paths, sweeps, layers, jobId: 'inv-same-128' });
      expectSame(one, await perChunk(paths, sweeps, layers));
      // 40 steps of one image in passes of at most 10 (sweepBatchSize): the count moves within an image.
      const counts = progress.filter((p) => p.jobId === 'inv-same-128' && !p.finished).map((p) => p.done);
      expect(counts).toEqual(expect.arrayContaining([10, 20, 30]));
    } finally {
      await service.openModel({ path: defaultPaths().model });
    }
  }, 180_000);

  it('an image that cannot be read stops its transform\'s sweep; the next transform still runs; cancel by job id', async () => {
    const dir = path.join(tmp, 'broken');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(dir, 'bag'), { recursive: true });
    copyFileSync(path.join(defaultPaths().images, 'bag/00018.png'), path.join(dir, 'bag/a.png'));
    copyFileSync(path.join(defaultPaths().images, 'bag/00018.png'), path.join(dir, 'bag/b.png'));
    await service.openFolder({ path: dir });
    try {
      // Listed as an image, then cut short on disk: it fails when the sweep decodes it.
      writeFileSync(path.join(dir, 'bag/b.png'), new Uint8Array(40));
      const r = await service.invarianceSweeps({ paths: ['bag/a.png', 'bag/b.png'], sweeps: [{ transform: 'scale', thetas: [1, 1.5] }, { transform: 'rotate', thetas: [0, 45] }] });
      expect(r.runs.map((run) => run.images.map((i) => i.path))).toEqual([['bag/a.png'], ['bag/a.png']]);
      for (const run of r.runs) expect(run.error).toMatchObject({ code: 'IMAGE_DECODE_FAILED', message: expect.stringContaining('b.png') });
    } finally {
      await service.openFolder({ path: defaultPaths().images });
    }
    const { entries } = await service.listImages({ offset: 0, limit: 8 });
    const dispatch = createDispatcher(service);
    const pending = dispatch('invarianceSweeps', { paths: entries.map((e) => e.path), sweeps: [{ transform: 'rotate', thetas: thetaRange(0, 359, 300) }], jobId: 'inv-cancel' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await service.cancel({ jobId: 'inv-cancel' })).toEqual({ cancelled: true });
    expect(await pending).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    expect((await service.jobs({})).find((j) => j.jobId === 'inv-cancel')).toMatchObject({ finished: true, failed: 'CANCELLED' });
  }, 120_000);
});
