// The invariance calls through the dispatcher (schemas, envelopes) and the binary wire format, on
// the demo model and its samples.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../common/api.ts';
import type { InvarianceSweepResult } from '../../common/api-invariance.ts';
import { decodeMessage, encodeMessage } from '../../common/wire.ts';
import { defaultPaths } from '../model/resources.ts';
import { createDispatcher } from './dispatcher.ts';
import { createService } from './service.ts';

const service = createService({ shell: 'server', provider: 'cpu' });
const dispatch = createDispatcher(service);
const progress: ProgressEvent[] = [];
service.on((event, payload) => {
  if (event === 'progress') progress.push(payload as ProgressEvent);
});

beforeAll(async () => {
  await service.openModel({ path: defaultPaths().model });
  await service.openFolder({ path: defaultPaths().images });
});
afterAll(() => service.close());

describe('invarianceSweep', () => {
  it('sweeps images of the open folder with the default layers; typed arrays survive the wire', async () => {
    const env = await dispatch('invarianceSweep', { paths: ['bag/00018.png', 'coat/00006.png'], transform: 'rotate', thetas: [0, 30, 360], jobId: 'sweep-1' });
    expect(env.ok, JSON.stringify(env)).toBe(true);
    const r = decodeMessage(encodeMessage((env as { value: unknown }).value)) as InvarianceSweepResult;
    expect(r.layers).toEqual(['/relu1/Relu_output_0', '/relu7/Relu_output_0']);
    expect(r.labels).toHaveLength(10);
    expect(r.images.map((i) => [i.path, i.trueClass, i.trueFrom])).toEqual([['bag/00018.png', 'Bag', 'folder'], ['coat/00006.png', 'Coat', 'folder']]);
    for (const img of r.images) {
      expect(img.pTrue).toBeInstanceOf(Float32Array);
      expect(img.top1).toBeInstanceOf(Int32Array);
      for (const l of r.layers) {
        expect(img.distance[l]).toBeInstanceOf(Float32Array);
        expect([img.distance[l][0], img.distance[l][2]]).toEqual([0, 0]);
        expect(img.distance[l][1]).toBeGreaterThan(0);
      }
      expect(img.pTrue[2]).toBe(img.pTrue[0]);
    }
    // The job reported progress under the caller's id and finished.
    const mine = progress.filter((p) => p.jobId === 'sweep-1');
    expect(mine.at(-1)).toMatchObject({ finished: true, done: 2, total: 2 });
  });

  it('a folder without class sub-folders: every image\'s class is its own prediction (the view then says P(true class) is not available)', async () => {
    const flat = mkdtempSync(path.join(os.tmpdir(), 'convscope-flat-'));
    try {
      for (const p of ['bag/00018.png', 'coat/00006.png']) copyFileSync(path.join(defaultPaths().images, p), path.join(flat, path.basename(p)));
      expect(await service.openFolder({ path: flat })).toMatchObject({ count: 2, classes: [] });
      const r = await service.invarianceSweep({ paths: ['00006.png', '00018.png'], transform: 'rotate', thetas: [0, 90] });
      expect(r.images.map((i) => [i.path, i.trueFrom])).toEqual([['00006.png', 'prediction'], ['00018.png', 'prediction']]);
      for (const img of r.images) expect(img.top1[0]).toBe(img.trueIndex);
    } finally {
      await service.openFolder({ path: defaultPaths().images });
      rmSync(flat, { recursive: true, force: true });
    }
  });

  it('rejects bad arguments and unknown layers or images with messages naming them', async () => {
    const bad = await dispatch('invarianceSweep', { paths: ['bag/00018.png'], transform: 'shear', thetas: [0] });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('"transform" must be one of') } });
    const layer = await dispatch('invarianceSweep', { paths: ['bag/00018.png'], transform: 'scale', thetas: [1], layers: ['conv9'] });
    expect(layer).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', message: expect.stringContaining('"conv9"') } });
    const image = await dispatch('invarianceSweep', { paths: ['bag/nope.png'], transform: 'scale', thetas: [1] });
    expect(image).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', message: expect.stringContaining('bag/nope.png') } });
    const scale = await dispatch('invarianceSweep', { paths: ['bag/00018.png'], transform: 'scale', thetas: [0] });
    expect(scale).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('"thetas[0]" must be a scale factor greater than 0') } });
  });

  it('is cancelled by its jobId', async () => {
    const paths = ['bag/00018.png', 'coat/00006.png', 'trouser/00002.png', 'dress/00013.png', 'shirt/00004.png', 'sandal/00008.png'];
    const pending = dispatch('invarianceSweep', { paths, transform: 'rotate', thetas: Array.from({ length: 200 }, (_, i) => i * 1.8), jobId: 'sweep-cancel' });
    await new Promise((r) => setTimeout(r, 30));
    expect(await service.cancel({ jobId: 'sweep-cancel' })).toEqual({ cancelled: true });
    expect(await pending).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
  });
});

describe('invarianceInput', () => {
  it('is the model input at θ = 0, and a PNG of the input size otherwise', async () => {
    const plain = await service.modelInput({ path: 'bag/00018.png' });
    const same = await service.invarianceInput({ path: 'bag/00018.png', transform: 'translate-y', theta: 0 });
    expect(same.png).toEqual(plain.png);
    const moved = await service.invarianceInput({ path: 'bag/00018.png', transform: 'translate-y', theta: 5 });
    expect([moved.width, moved.height]).toEqual([64, 64]);
    expect([...moved.png.subarray(1, 4)]).toEqual([0x50, 0x4e, 0x47]);
    expect(moved.png).not.toEqual(plain.png);
  });
});

describe('shiftConsistency', () => {
  it('reports agreeing pairs out of images × pairs, repeatably for a seed', async () => {
    const paths = ['bag/00018.png', 'coat/00006.png', 'trouser/00002.png', 'dress/00013.png'];
    const a = await service.shiftConsistency({ paths, pairsPerImage: 3, seed: 5 });
    expect(a).toMatchObject({ images: 4, pairs: 12, pairsPerImage: 3, maxShift: 9, seed: 5, skipped: [] });
    expect(a.consistency).toBeCloseTo(a.agree / 12, 12);
    const b = await service.shiftConsistency({ paths, pairsPerImage: 3, seed: 5 });
    expect(b.agree).toBe(a.agree);
    const none = await dispatch('shiftConsistency', { paths, maxShift: 0 });
    expect(none).toMatchObject({ ok: true, value: { consistency: 1, pairs: 20 } });
  });
});
