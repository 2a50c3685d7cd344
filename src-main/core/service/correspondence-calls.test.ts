// The correspondence calls through the dispatcher on a real service with the shipped demo model
// (zf-mini) and samples: the shipped parts matched to the open folder, Table 1 as a kept job with
// progress and cancel, the masked input of a box, and errors naming the part and image.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelInputImage, ProgressEvent } from '../../common/api.ts';
import type { CorrespondenceResult, PartsFile } from '../../common/api-correspondence.ts';
import type { JobInfo, JobResult } from '../../common/api-jobs.ts';
import { defaultPaths, packageRoot } from '../model/resources.ts';
import { createDispatcher, type Dispatch } from './dispatcher.ts';
import { matchFolderEntry } from './correspondence-calls.ts';
import { createService, type ConvscopeService } from './service.ts';

let tmp: string;
let service: ConvscopeService;
let call: Dispatch;
const events: ProgressEvent[] = [];
const oldCache = process.env.CONVSCOPE_CACHE_DIR;

async function ok<T>(method: string, arg: unknown): Promise<T> {
  const r = await call(method, arg);
  if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code });
  return r.value as T;
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-correspondence-calls-'));
  process.env.CONVSCOPE_CACHE_DIR = path.join(tmp, 'cache');
  const dir = path.join(packageRoot(), 'resources/models/zf-mini');
  for (const f of ['zf-mini.onnx', 'zf-mini.convscope.json', 'labels.txt']) copyFileSync(path.join(dir, f), path.join(tmp, f));
  service = createService({ shell: 'server', provider: 'cpu' });
  service.on((event, payload) => {
    if (event === 'progress') events.push(payload as ProgressEvent);
  });
  call = createDispatcher(service);
  await service.openModel({ path: path.join(tmp, 'zf-mini.onnx') });
  await service.openFolder({ path: defaultPaths().images });
}, 60_000);

afterAll(async () => {
  await service.close();
  if (oldCache === undefined) delete process.env.CONVSCOPE_CACHE_DIR;
  else process.env.CONVSCOPE_CACHE_DIR = oldCache;
  rmSync(tmp, { recursive: true, force: true });
});

describe('correspondence calls', () => {
  it('matches image paths to the open folder: as given, absolute inside it, or by their trailing folders', () => {
    const known = new Set(['bag/1.png', 'a/b/2.png']);
    const has = (p: string) => known.has(p);
    expect(matchFolderEntry('bag/1.png', '/data/x', has)).toBe('bag/1.png');
    expect(matchFolderEntry('/data/x/a/b/2.png', '/data/x', has)).toBe('a/b/2.png');
    expect(matchFolderEntry('fashion-mnist/bag/1.png', '/data/x', has)).toBe('bag/1.png');
    expect(matchFolderEntry('bag\\1.png', '/data/x', has)).toBe('bag/1.png');
    expect(matchFolderEntry('bag/3.png', '/data/x', has)).toBeNull();
  });

  it('runs the shipped parts as a kept job counting inputs; jobs lists it and jobResult gives the same result', async () => {
    const { parts } = await ok<PartsFile>('correspondenceParts', {});
    expect(parts.map((p) => p.name)).toEqual(['heel of ankle boots', 'toe of ankle boots', 'collar of shirts', 'handle of bags']);
    expect(parts[0].boxes[0]).toEqual({ image: 'ankle-boot/00000.png', box: [39, 52, 12, 12] });
    events.length = 0;
    const r = await ok<CorrespondenceResult>('correspondence', { parts, random: 2, seed: 5, jobId: 'corr-1' });
    expect(r.layers).toEqual(['/relu5/Relu_output_0', '/relu7/Relu_output_0']);
    expect(r.random).toMatchObject({ draws: 2, seed: 5 });
    const mine = events.filter((e) => e.jobId === 'corr-1');
    expect(mine[0]).toMatchObject({ done: 0, total: 4 * (2 + 2) * 5, unit: 'inputs' });
    expect(mine.at(-1)).toMatchObject({ done: 80, total: 80, finished: true });
    const jobs = await ok<JobInfo[]>('jobs', {});
    expect(jobs.find((j) => j.jobId === 'corr-1')).toMatchObject({ kind: 'correspondence', finished: true, args: { parts, random: 2, seed: 5 } });
    const kept = await ok<JobResult>('jobResult', { jobId: 'corr-1' });
    expect(kept).toEqual({ kind: 'correspondence', value: r });
  }, 60_000);

  it('a cancelled run ends CANCELLED', async () => {
    const { parts } = await ok<PartsFile>('correspondenceParts', {});
    const running = call('correspondence', { parts, random: 400, jobId: 'corr-cancel' });
    while (!events.some((e) => e.jobId === 'corr-cancel' && e.done > 0)) await new Promise((r) => setTimeout(r, 5));
    await ok('cancel', { jobId: 'corr-cancel' });
    expect(await running).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
  }, 60_000);

  it('names the part and image: a box outside the input, one image, an image not in the folder', async () => {
    const two = (box: number[]) => ({ parts: [{ name: 'heel', boxes: [{ image: 'bag/00018.png', box: [0, 0, 8, 8] }, { image: 'bag/00030.png', box }] }] });
    expect(await call('correspondence', two([60, 60, 8, 8]))).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: 'correspondence: part "heel", image "bag/00030.png": box [60, 60, 8, 8] reaches outside the 64×64 model input (rows 60…67, columns 60…67)' },
    });
    expect(await call('correspondence', { parts: [{ name: 'collar', boxes: [{ image: 'bag/00018.png', box: [0, 0, 8, 8] }] }] })).toMatchObject({
      ok: false, error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/part "collar" has 1 image/) },
    });
    const missing = { parts: [{ name: 'handle', boxes: [{ image: 'bag/00018.png', box: [0, 0, 8, 8] }, { image: 'bag/nope.png', box: [0, 0, 8, 8] }] }] };
    expect(await call('correspondence', missing)).toMatchObject({
      ok: false, error: { code: 'NOT_FOUND', message: expect.stringContaining('part "handle", image "bag/nope.png": '), details: { part: 'handle', image: 'bag/nope.png' } },
    });
    expect(await call('correspondenceParts', missing)).toMatchObject({
      ok: false, error: { code: 'NOT_FOUND', message: expect.stringContaining('part "handle", image "bag/nope.png" is not an image of the open folder') },
    });
    expect(await call('correspondence', { ...two([0, 0, 8, 8]), layers: ['nope'] })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', message: expect.stringMatching(/no layer "nope"/) } });
  });

  it('the masked input is the model input with the box at the mean colour', async () => {
    const plain = await ok<ModelInputImage>('modelInput', { path: 'bag/00030.png' });
    const masked = await ok<ModelInputImage>('correspondenceInput', { path: 'bag/00030.png', box: [3, 27, 16, 18] });
    const px = async (png: Uint8Array) => (await sharp(png).greyscale().raw().toBuffer());
    const [a, b] = [await px(plain.png), await px(masked.png)];
    expect(masked).toMatchObject({ width: 64, height: 64 });
    let changed = 0;
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        const inside = y >= 3 && y < 19 && x >= 27 && x < 45;
        // zf-mini's mean is 0.286: 0 after preprocessing is 0.286·255 ≈ 73.
        if (inside) expect(Math.abs(b[y * 64 + x] - 73)).toBeLessThanOrEqual(1);
        else expect(b[y * 64 + x]).toBe(a[y * 64 + x]);
        if (inside && a[y * 64 + x] !== b[y * 64 + x]) changed++;
      }
    }
    expect(changed).toBeGreaterThan(0);
    expect(await call('correspondenceInput', { path: 'bag/00030.png', box: [60, 0, 8, 8] })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
  });
});
