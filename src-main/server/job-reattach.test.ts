// A long job outlives the page that started it: its socket closes mid-job, the job goes on, and a new
// connection (a reloaded page) finds it in `jobs` and takes its result with `jobResult`.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InvariancePart, InvarianceSweepsResult } from '../common/api-invariance.ts';
import type { JobInfo, JobParts } from '../common/api-jobs.ts';
import type { ProjectAllResult, ProjectedMap } from '../common/api.ts';
import type { OcclusionResult } from '../common/api-occlusion.ts';
import type { FilterSpectraResult } from '../common/api-spectra.ts';
import { decodeMessage } from '../common/wire.ts';
import { createService, type ConvscopeService } from '../core/service/service.ts';
import { startServer, type RunningServer } from './server.ts';
import { call, openApi } from './testing.ts';

const demoModel = fileURLToPath(new URL('../../resources/models/zf-mini/zf-mini.onnx', import.meta.url));
const samples = fileURLToPath(new URL('../../resources/samples/fashion-mnist', import.meta.url));

let tmp: string;
let server: RunningServer;
let service: ConvscopeService;
let IMG: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-reattach-'));
  const renderer = path.join(tmp, 'renderer');
  mkdirSync(renderer);
  writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>convscope</title>');
  service = createService({ shell: 'server', provider: 'cpu', progressIntervalMs: 0 });
  await service.openModel({ path: demoModel });
  const folder = await service.openFolder({ path: samples });
  IMG = (await service.listImages({ offset: 0, limit: 1 })).entries[0].path;
  expect(folder.count).toBeGreaterThan(0);
  server = await startServer({ service, rendererDir: renderer, port: 0, log: () => {} });
}, 60_000);

afterAll(async () => {
  await server.close();
  await service.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Resolves at the job's first progress count past 0 on `socket`: it is under way. */
function underWay(socket: Awaited<ReturnType<typeof openApi>>, jobId: string): Promise<void> {
  return new Promise<void>((resolve) => {
    socket.on('message', (data: Buffer) => {
      const msg = decodeMessage(new Uint8Array(data)) as { event?: string; payload?: { jobId?: string; done?: number } };
      if (msg.event === 'progress' && msg.payload?.jobId === jobId && (msg.payload.done ?? 0) > 0) resolve();
    });
  });
}

describe('re-attaching to a job', () => {
  it('an occlusion goes on when its page goes away; a new page gets the same result by job id', async () => {
    const arg = { path: IMG, size: 8, stride: 1, jobId: 'reattach-occ' };
    const first = await openApi(server.port, { query: `?token=${server.token}` });
    // The first progress count past 0 says the job is under way; then the page goes away.
    const started = underWay(first, 'reattach-occ');
    const unanswered = call(first, 1, 'occlusion', arg).catch(() => null);
    await started;
    first.terminate();
    expect(await unanswered).toBeNull();

    const second = await openApi(server.port, { query: `?token=${server.token}` });
    try {
      const listed = await call(second, 1, 'jobs', {});
      const job = (listed.value as JobInfo[]).find((j) => j.jobId === 'reattach-occ');
      expect(job).toMatchObject({ kind: 'occlusion', unit: 'positions', finished: false, args: { path: IMG, size: 8, stride: 1 } });
      const again = await call(second, 2, 'jobResult', { jobId: 'reattach-occ' });
      expect(again.ok).toBe(true);
      const kept = (again.value as { kind: string; value: OcclusionResult });
      expect(kept.kind).toBe('occlusion');
      const { jobId: _jobId, ...direct } = arg;
      const fresh = await service.occlusion(direct);
      expect(kept.value.grid).toEqual(fresh.grid);
      expect(Array.from(kept.value.pClass)).toEqual(Array.from(fresh.pClass));
      expect(Array.from(kept.value.top1)).toEqual(Array.from(fresh.top1));
      expect(((await call(second, 3, 'jobs', {})).value as JobInfo[]).find((j) => j.jobId === 'reattach-occ')).toMatchObject({ finished: true });
      expect(await call(second, 4, 'jobResult', { jobId: 'never-ran' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    } finally {
      second.close();
    }
  }, 120_000);

  it('an invariance sweep (two transforms, many images) goes on when its page goes away; a new page takes its parts so far, then the rest and the result', async () => {
    const { entries } = await service.listImages({ offset: 0, limit: 12 });
    const paths = entries.map((e) => e.path);
    const sweeps = [
      { transform: 'rotate' as const, thetas: Array.from({ length: 240 }, (_, i) => i * 1.5) },
      { transform: 'translate-x' as const, thetas: Array.from({ length: 41 }, (_, i) => i - 20) },
    ];
    const first = await openApi(server.port, { query: `?token=${server.token}` });
    const started = underWay(first, 'reattach-inv');
    const unanswered = call(first, 1, 'invarianceSweeps', { paths, sweeps, jobId: 'reattach-inv' }).catch(() => null);
    await started;
    first.terminate();
    expect(await unanswered).toBeNull();

    const second = await openApi(server.port, { query: `?token=${server.token}` });
    try {
      const listed = ((await call(second, 1, 'jobs', {})).value as JobInfo[]).find((j) => j.jobId === 'reattach-inv');
      expect(listed).toMatchObject({ kind: 'invariance', unit: 'steps', finished: false, total: 12 * (239 + 40), args: { paths, sweeps } });
      // The parts so far, then the rest from where those end: each image once, in order.
      const early = (await call(second, 2, 'jobParts', { jobId: 'reattach-inv', from: 0 })).value as JobParts;
      expect(early.kind).toBe('invariance');
      const got = [...(early.parts as InvariancePart[])];
      expect(got[0]).toMatchObject({ run: 0, part: 'start' });
      const again = await call(second, 3, 'jobResult', { jobId: 'reattach-inv' });
      expect(again.ok).toBe(true);
      const rest = (await call(second, 4, 'jobParts', { jobId: 'reattach-inv', from: got.length })).value as JobParts;
      expect(rest.finished).toBe(true);
      got.push(...(rest.parts as InvariancePart[]));
      expect(got.map((p) => `${p.run}:${p.part === 'image' ? p.image.path : p.part}`)).toEqual([0, 1].flatMap((run) => [`${run}:start`, ...paths.map((p) => `${run}:${p}`)]));
      const kept = (again.value as { kind: string; value: InvarianceSweepsResult }).value;
      // Over the wire: the parts' images are the result's, value for value.
      const partImages = got.flatMap((p) => (p.part === 'image' ? [p.image] : []));
      expect(partImages.map((i) => Array.from(i.pTrue))).toEqual(kept.runs.flatMap((r) => r.images.map((i) => Array.from(i.pTrue))));
      // And the result is what a fresh sweep gives.
      const fresh = await service.invarianceSweeps({ paths, sweeps });
      expect(kept.runs.map((r) => r.images.map((i) => [Array.from(i.pTrue), Array.from(i.top1), ...r.layers.map((l) => Array.from(i.distance[l]))])))
        .toEqual(fresh.runs.map((r) => r.images.map((i) => [Array.from(i.pTrue), Array.from(i.top1), ...r.layers.map((l) => Array.from(i.distance[l]))])));
    } finally {
      second.close();
    }
  }, 120_000);

  it('a firing scan of the folder goes on when its page goes away; a new page gets its spectra by job id', async () => {
    const first = await openApi(server.port, { query: `?token=${server.token}` });
    let seen = { done: 0, total: 0 };
    const started = new Promise<void>((resolve) => {
      first.on('message', (data: Buffer) => {
        const msg = decodeMessage(new Uint8Array(data)) as { event?: string; payload?: { jobId?: string; done: number; total: number } };
        if (msg.event === 'progress' && msg.payload?.jobId === 'reattach-firing' && msg.payload.done > 0) {
          seen = msg.payload;
          resolve();
        }
      });
    });
    const unanswered = call(first, 1, 'filterSpectra', { layer: '/conv2/Conv_output_0', firing: true, jobId: 'reattach-firing' }).catch(() => null);
    await started;
    first.terminate();
    expect(await unanswered).toBeNull();
    // Dropped mid-scan.
    expect(seen.done).toBeLessThan(seen.total);

    const second = await openApi(server.port, { query: `?token=${server.token}` });
    try {
      const listed = ((await call(second, 1, 'jobs', {})).value as JobInfo[]).find((j) => j.jobId === 'reattach-firing');
      expect(listed).toMatchObject({ kind: 'spectra', unit: 'images', total: seen.total, args: { layer: '/conv2/Conv_output_0' } });
      expect(listed!.args).not.toHaveProperty('firing');
      const again = await call(second, 2, 'jobResult', { jobId: 'reattach-firing' });
      expect(again.ok).toBe(true);
      const kept = (again.value as { kind: string; value: FilterSpectraResult });
      expect(kept.kind).toBe('spectra');
      const fresh = await service.filterSpectra({ layer: '/conv2/Conv_output_0', firing: true });
      expect(kept.value.firing).toEqual(fresh.firing);
      expect(kept.value.firing?.images).toBe(seen.total);
      expect(kept.value.filters.map((f) => [f.firingRate, f.flags])).toEqual(fresh.filters.map((f) => [f.firingRate, f.flags]));
      expect(Array.from(kept.value.spectra)).toEqual(Array.from(fresh.spectra));
    } finally {
      second.close();
    }
  }, 120_000);

  it('"project all maps" goes on when its page goes away; a new page takes the maps so far, then the rest and the result', async () => {
    const channels = Array.from({ length: 256 }, (_, i) => 255 - i);
    const arg = { path: IMG, layer: '/relu7/Relu_output_0', mode: 'single' as const, channels };
    const first = await openApi(server.port, { query: `?token=${server.token}` });
    let seen = { done: 0, total: 0 };
    const started = new Promise<void>((resolve) => {
      first.on('message', (data: Buffer) => {
        const msg = decodeMessage(new Uint8Array(data)) as { event?: string; payload?: { jobId?: string; done: number; total: number } };
        if (msg.event === 'progress' && msg.payload?.jobId === 'reattach-all' && msg.payload.done > 0) {
          seen = msg.payload;
          resolve();
        }
      });
    });
    const unanswered = call(first, 1, 'projectAll', { ...arg, jobId: 'reattach-all' }).catch(() => null);
    await started;
    first.terminate();
    expect(await unanswered).toBeNull();
    expect(seen.done).toBeLessThan(256);

    const second = await openApi(server.port, { query: `?token=${server.token}` });
    try {
      const listed = ((await call(second, 1, 'jobs', {})).value as JobInfo[]).find((j) => j.jobId === 'reattach-all');
      expect(listed).toMatchObject({ kind: 'projectAll', unit: 'maps', total: 256, args: arg });
      const early = (await call(second, 2, 'jobParts', { jobId: 'reattach-all', from: 0 })).value as JobParts;
      expect(early.kind).toBe('projectAll');
      const got = [...(early.parts as { maps: ProjectedMap[] }[])];
      const again = await call(second, 3, 'jobResult', { jobId: 'reattach-all' });
      expect(again.ok).toBe(true);
      const rest = (await call(second, 4, 'jobParts', { jobId: 'reattach-all', from: got.length })).value as JobParts;
      got.push(...(rest.parts as { maps: ProjectedMap[] }[]));
      const maps = got.flatMap((p) => p.maps);
      expect(maps.map((m) => m.channel)).toEqual(channels);
      const kept = (again.value as { kind: string; value: ProjectAllResult }).value;
      expect(maps.map((m) => [m.channel, m.value, m.position, Buffer.from(m.png).toString('base64')])).toEqual(kept.maps.map((m) => [m.channel, m.value, m.position, Buffer.from(m.png).toString('base64')]));
      // The same as a fresh job.
      const fresh = await service.projectAll(arg);
      expect(kept.maps.map((m) => [m.channel, m.value, m.position, Buffer.from(m.png).toString('base64')])).toEqual(fresh.maps.map((m) => [m.channel, m.value, m.position, Buffer.from(m.png).toString('base64')]));
    } finally {
      second.close();
    }
  }, 120_000);
});
