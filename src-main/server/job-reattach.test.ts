// A long job outlives the page that started it: its socket closes mid-job, the job goes on, and a new
// connection (a reloaded page) finds it in `jobs` and takes its result with `jobResult`.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobInfo } from '../common/api-jobs.ts';
import type { OcclusionResult } from '../common/api-occlusion.ts';
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

describe('re-attaching to a job', () => {
  it('an occlusion goes on when its page goes away; a new page gets the same result by job id', async () => {
    const arg = { path: IMG, size: 8, stride: 1, jobId: 'reattach-occ' };
    const first = await openApi(server.port, { query: `?token=${server.token}` });
    // The first progress count past 0 says the job is under way; then the page goes away.
    const started = new Promise<void>((resolve) => {
      first.on('message', (data: Buffer) => {
        const msg = decodeMessage(new Uint8Array(data)) as { event?: string; payload?: { jobId?: string; done?: number } };
        if (msg.event === 'progress' && msg.payload?.jobId === 'reattach-occ' && (msg.payload.done ?? 0) > 0) resolve();
      });
    });
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
});
