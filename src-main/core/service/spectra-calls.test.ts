// The spectra calls over real parts: GraphBuilder models on disk, a folder written with sharp, the
// real runtime; firing rates checked against a naive conv of the same preprocessed images.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../common/api.ts';
import { close, firingTestModel, naiveFires, naiveSpectra } from '../analysis/spectra/testing.ts';
import { decodeImage, preprocess } from '../images/index.ts';
import { zfTestModel } from '../onnx/index.ts';
import { createService, type ConvscopeService } from './service.ts';

let tmp: string;
let service: ConvscopeService;
const model = firingTestModel();
const progress: ProgressEvent[] = [];
const images: string[] = [];

async function gray(file: string, fill: (i: number) => number): Promise<void> {
  const data = Buffer.alloc(16 * 16);
  for (let i = 0; i < data.length; i++) data[i] = fill(i);
  await sharp(data, { raw: { width: 16, height: 16, channels: 1 } }).png().toFile(file);
  images.push(file);
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-spectra-'));
  writeFileSync(path.join(tmp, 'firing.onnx'), model.bytes);
  writeFileSync(path.join(tmp, 'zf.onnx'), zfTestModel({ inputSize: 64, channels: 3, classes: 4, seed: 2 }));
  for (const c of ['dark', 'bright']) mkdirSync(path.join(tmp, 'images', c), { recursive: true });
  await gray(path.join(tmp, 'images/dark/0.png'), () => 0);
  await gray(path.join(tmp, 'images/dark/1.png'), (i) => (i % 7) * 3);
  await gray(path.join(tmp, 'images/bright/0.png'), () => 255);
  await gray(path.join(tmp, 'images/bright/1.png'), (i) => 200 + (i % 50));
  await gray(path.join(tmp, 'images/bright/2.png'), (i) => (i * 37) % 256);
  service = createService({ shell: 'server', provider: 'cpu' });
  service.on((event, payload) => event === 'progress' && progress.push(payload as ProgressEvent));
  await service.openModel({ path: path.join(tmp, 'firing.onnx') });
});

afterAll(async () => {
  await service.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('filterSpectra', () => {
  it('defaults to the first conv layer and reports its geometry, weights and spectra as typed arrays', async () => {
    const r = await service.filterSpectra({});
    expect(r).toMatchObject({ layer: 'conv1', node: 'conv1', kernel: [3, 3], stride: [1, 1], groups: 1, channels: 1, N: 32, firing: null });
    expect(r.weights).toBeInstanceOf(Float32Array);
    expect(r.weightDims).toEqual([4, 1, 3, 3]);
    expect(r.spectra).toHaveLength(4 * 32 * 32);
    expect(r.convLayers.map((l) => [l.id, l.activation])).toEqual([['conv1', 'relu1'], ['conv2', 'relu2']]);
    expect(r.filters.every((f) => f.firingRate === undefined)).toBe(true);
  });

  it('a grouped conv (2 groups, stride 2) by layer id or node name: every number matches the naive DFT', async () => {
    const r = await service.filterSpectra({ layer: 'conv2' });
    expect(r).toMatchObject({ groups: 2, channels: 2, stride: [2, 2], weightDims: [6, 2, 3, 3] });
    const e = naiveSpectra(model.conv2, [6, 2, 3, 3], [2, 2]);
    r.filters.forEach((f, k) => {
      expect(close(f.rms, e.rms[k], 1e-6, 1e-7)).toBe(true);
      expect(close(f.centroid, e.centroid[k])).toBe(true);
      expect(close(f.aliasingFraction, e.aliasing[k])).toBe(true);
      expect(close(f.bands.mid, e.bands[k].mid)).toBe(true);
    });
  });

  it('names the layer when it is not a conv or not there', async () => {
    await expect(service.filterSpectra({ layer: 'relu1' })).rejects.toThrow(/"relu1" is a Relu layer, not a Conv; conv layers: conv1, conv2/);
    await expect(service.filterSpectra({ layer: 'nope' })).rejects.toThrow(/"nope" is not a layer/);
    await expect(service.filterSpectra({ model: path.join(tmp, 'missing.onnx') })).rejects.toThrow(/missing\.onnx: no such file/);
  });

  it('firing over the open folder: a filter never positive after its ReLU is dead by firing; rates match a naive conv', async () => {
    await expect(service.filterSpectra({ firing: true })).rejects.toThrow(/No image folder is open/);
    await service.openFolder({ path: path.join(tmp, 'images') });
    progress.length = 0;
    const r = await service.filterSpectra({ firing: true, jobId: 'firing-test' });
    expect(r.firing).toMatchObject({ layer: 'relu1', images: 5, failed: 0 });
    const p = service.currentModel!.info.preprocessing;
    const fires = [0, 0, 0, 0];
    for (const f of images) {
      const x = preprocess(await decodeImage(f, { channels: 1 }), p);
      naiveFires(x, 16, 16, model.conv1.weights, model.conv1.bias).forEach((on, k) => (fires[k] += on ? 1 : 0));
    }
    expect(fires[0]).toBe(5);
    expect(fires[1]).toBe(0);
    expect(fires[2]).toBeGreaterThan(0);
    expect(fires[3]).toBeGreaterThan(0);
    expect(r.filters.map((f) => f.firingRate)).toEqual(fires.map((n) => n / 5));
    expect(r.filters[1].flags).toContain('dead');
    expect(r.filters[1].reasons.dead).toBe('never fires on 5 images');
    // Its weights are as large as the others': only the scan finds it.
    expect(r.filters[1].rms).toBeGreaterThan(0.5 * r.summary.medianRms);
    expect(r.summary.dead).toBe(1 + r.filters.filter((f, k) => k !== 1 && f.flags.includes('dead')).length);
    expect(progress.some((e) => e.jobId === 'firing-test' && e.finished && e.done === 5)).toBe(true);
  });

  it('a firing scan is cancellable by its job id', async () => {
    const run = service.filterSpectra({ firing: true, jobId: 'firing-cancel' });
    expect(await service.cancel({ jobId: 'firing-cancel' })).toEqual({ cancelled: true });
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    // The service stays usable.
    expect((await service.filterSpectra({ firing: true })).firing?.images).toBe(5);
  });

  it('another model file (compare) by its weights alone, without making it the current model; firing opens a session for it', async () => {
    const other = path.join(tmp, 'zf.onnx');
    const r = await service.filterSpectra({ model: other });
    expect(r).toMatchObject({ model: { path: other, name: 'zf.onnx' }, layer: 'conv1', kernel: [7, 7], stride: [2, 2], channels: 3, N: 32 });
    expect(service.currentModel!.info.name).toBe('firing.onnx');
    const f = await service.filterSpectra({ model: other, firing: true, layer: 'conv1' });
    expect(f.firing).toMatchObject({ layer: 'relu1', images: 5 });
    expect(f.filters.every((x) => x.firingRate !== undefined && x.firingRate >= 0 && x.firingRate <= 1)).toBe(true);
    expect(service.currentModel!.info.name).toBe('firing.onnx');
  });

  it('lists the shipped demo models as compare candidates', async () => {
    const { models } = await service.spectraDemoModels({});
    expect(models.map((m) => m.name)).toEqual(['zf-mini', 'alex-mini']);
  });
});
