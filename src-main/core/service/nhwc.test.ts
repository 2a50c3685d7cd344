// A channels-last (Keras/tf2onnx) model through every path of the service, on real parts, against
// an independent reference: its channels-first twin with the same weights (onnx/nhwc-test-model.ts),
// an ordinary N×C×H×W model. Predictions, layer maps, projections on both backends, occlusion,
// top-k, spectra and invariance must agree.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InvarianceSweepResult } from '../../common/api-invariance.ts';
import type { OcclusionResult } from '../../common/api-occlusion.ts';
import type { TopkScanResult, TopkTilesResult } from '../../common/api-topk.ts';
import type { ModelInfo } from '../../common/api.ts';
import { noisePng } from '../analysis/topk/testing.ts';
import { nhwcTestModels } from '../onnx/index.ts';
import { createDispatcher, type Dispatch } from './dispatcher.ts';
import { createService, type ConvscopeService } from './service.ts';

const S = 32;
const BACKENDS = ['engine', 'compiled'] as const;
const IMAGES = ['cat/0.png', 'dog/1.png', 'cat/2.png', 'dog/3.png', 'cat/4.png'];
const oldEnv = { cache: process.env.CONVSCOPE_CACHE_DIR, deconv: process.env.CONVSCOPE_DECONV };
let tmp: string;
let service: ConvscopeService;
let call: Dispatch;
/** The channels-last model's top-k tile pixels, by backend. */
const tilesBy = new Map<string, Uint8Array[]>();

async function ok<T>(method: string, arg: unknown): Promise<T> {
  const r = await call(method, arg);
  if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code });
  return r.value as T;
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  expect(a.length, what).toBe(b.length);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  expect(worst, what).toBeLessThanOrEqual(1e-5 * scale + 1e-6);
}

interface Projected {
  data: Float32Array;
  dims: number[];
  position: [number, number] | null;
  value: number;
  box: unknown;
  backend: string;
}

/** What the service says of one model: everything compared below. */
async function survey(file: string) {
  const info = await ok<ModelInfo>('openModel', { path: file });
  await ok('openFolder', { path: path.join(tmp, 'images') });
  const predictions = [];
  for (const p of IMAGES) predictions.push(await ok<{ top: { index: number; probability: number }[] }>('predict', { path: p, topK: 5 }));
  const maps: Record<string, { dims: number[]; data: Float32Array; maxima: number[] }> = {};
  for (const layer of ['conv1', 'relu1', 'pool1', 'conv2', 'relu2', 'logits']) maps[layer] = await ok('layerActivations', { path: IMAGES[1], layer });
  const strongest = maps.relu2.maxima.indexOf(Math.max(...maps.relu2.maxima));
  const projections: Record<string, Projected> = {};
  const ask = async (key: string, layer: string, mode: 'single' | 'map', channel: number) =>
    (projections[key] = (await ok<Projected[]>('project', { path: IMAGES[1], layer, mode, targets: [{ channel }] }))[0]);
  await ask('relu2 single', 'relu2', 'single', strongest);
  await ask('relu2 map', 'relu2', 'map', strongest);
  await ask('pool1 single', 'pool1', 'single', 3);
  await ask('conv1 single', 'conv1', 'single', 1);
  await ask('logits 2', 'logits', 'single', 2);
  const occlusion = await ok<OcclusionResult>('occlusion', { path: IMAGES[0], size: 8, stride: 4 });
  const scan = await ok<TopkScanResult>('topkScan', { layers: ['conv2'], k: 3 });
  const channel = scan.layers[0].maps.find((m) => m.entries.length === 3 && m.entries[2].value > 0)!.channel;
  const tiles = await ok<TopkTilesResult>('topkTiles', { layer: 'conv2', channel, k: 3 });
  const tilePixels = await Promise.all(tiles.tiles.map(async (t) => new Uint8Array(await sharp(Buffer.from(t.projectionFull!)).raw().toBuffer())));
  const spectra = await ok<{ weights: Float32Array; spectra: Float32Array; filters: unknown[] }>('filterSpectra', { layer: 'conv2' });
  const sweep = await ok<InvarianceSweepResult>('invarianceSweep', { paths: IMAGES.slice(0, 2), transform: 'rotate', thetas: [0, 20, 45] });
  return { info, predictions, maps, projections, occlusion, scan, tiles, tilePixels, spectra, sweep };
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-nhwc-'));
  process.env.CONVSCOPE_CACHE_DIR = path.join(tmp, 'cache');
  const { nhwc, nchw } = nhwcTestModels({ inputSize: S, classes: 5, seed: 9 });
  for (const b of BACKENDS) {
    writeFileSync(path.join(tmp, `keras-${b}.onnx`), nhwc);
    writeFileSync(path.join(tmp, `twin-${b}.onnx`), nchw);
  }
  for (const [i, p] of IMAGES.entries()) await noisePng(path.join(tmp, 'images', p), i, 40 + 4 * i, 3);
  service = createService({ shell: 'server', provider: 'cpu' });
  call = createDispatcher(service);
}, 60_000);

afterAll(async () => {
  await service.close();
  for (const [k, v] of [['CONVSCOPE_CACHE_DIR', oldEnv.cache], ['CONVSCOPE_DECONV', oldEnv.deconv]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  rmSync(tmp, { recursive: true, force: true });
});

describe.each(BACKENDS)('a channels-last model, projections on the %s backend', (backend) => {
  it('gives what its channels-first twin gives, on every path', async () => {
    process.env.CONVSCOPE_DECONV = backend;
    const twin = await survey(path.join(tmp, `twin-${backend}.onnx`));
    const keras = await survey(path.join(tmp, `keras-${backend}.onnx`));
    tilesBy.set(backend, keras.tilePixels);

    expect(keras.info.input).toEqual({ name: 'input_1', dims: ['unk__0', S, S, 3], layout: 'NHWC', channels: 3, height: S, width: S });
    expect(keras.info.preprocessing.layout).toBe('NHWC');
    expect(twin.info.preprocessing.layout).toBeUndefined();
    // The same layers and layer graph, but for the Transpose back to N×H×W×C standing before the flatten.
    const rest = keras.info.layers.filter((l) => l.id !== 'to_nhwc');
    const without = (ls: typeof rest) => ls.map(({ inputs: _inputs, ...l }) => l);
    expect(without(rest)).toEqual(without(twin.info.layers));
    expect(keras.info.layers.find((l) => l.id === 'to_nhwc')?.inputs).toEqual(['relu2']);
    const relink = (ids: string[] = []) => ids.map((i) => (i === 'to_nhwc' ? 'relu2' : i));
    expect(rest.map((l) => [l.id, l.op, relink(l.inputs)])).toEqual(twin.info.layers.map((l) => [l.id, l.op, l.inputs]));

    keras.predictions.forEach((p, i) => {
      expect(p.top.map((t) => t.index), IMAGES[i]).toEqual(twin.predictions[i].top.map((t) => t.index));
      expectClose(p.top.map((t) => t.probability), twin.predictions[i].top.map((t) => t.probability), `predict ${IMAGES[i]}`);
    });
    for (const [layer, m] of Object.entries(keras.maps)) {
      expect(m.dims, layer).toEqual(twin.maps[layer].dims);
      expectClose(m.data, twin.maps[layer].data, `maps of ${layer}`);
    }
    for (const [key, p] of Object.entries(keras.projections)) {
      const t = twin.projections[key];
      expect(p.backend, key).toBe(backend);
      expect(p.dims, key).toEqual([3, S, S]);
      expect([p.position, p.box], key).toEqual([t.position, t.box]);
      expect(p.value, key).toBeCloseTo(t.value, 5);
      expect(p.data.some((v) => v !== 0), `${key} is not all zero`).toBe(true);
      expectClose(p.data, t.data, `projection ${key}`);
    }

    expect([keras.occlusion.layer, keras.occlusion.channel, keras.occlusion.targetClass]).toEqual([twin.occlusion.layer, twin.occlusion.channel, twin.occlusion.targetClass]);
    expectClose(keras.occlusion.pClass, twin.occlusion.pClass, 'occlusion P(class)');
    expectClose(keras.occlusion.activity, twin.occlusion.activity, 'occlusion activity');
    expect(Array.from(keras.occlusion.top1)).toEqual(Array.from(twin.occlusion.top1));

    const entries = (r: TopkScanResult) => r.layers[0].maps.map((m) => m.entries.map((e) => [e.image, e.position]));
    expect(entries(keras.scan)).toEqual(entries(twin.scan));
    expect(keras.tiles.tiles).toHaveLength(3);
    expect(keras.tiles.tiles.map((t) => [t.image, t.position, t.box])).toEqual(twin.tiles.tiles.map((t) => [t.image, t.position, t.box]));
    keras.tilePixels.forEach((px, i) => {
      expect(px.length).toBe(twin.tilePixels[i].length);
      // Display bytes: float noise may round a value across a step.
      expect(px.every((v, j) => Math.abs(v - twin.tilePixels[i][j]) <= 1), `top-k tile ${i}`).toBe(true);
    });
    // Top-k tiles project three images in one call: compiled, image by image, as the engine does.
    if (backend === 'compiled') {
      const engine = tilesBy.get('engine')!;
      keras.tilePixels.forEach((px, i) => expect(px.every((v, j) => Math.abs(v - engine[i][j]) <= 1), `compiled top-k tile ${i}`).toBe(true));
    }

    expect(Array.from(keras.spectra.weights)).toEqual(Array.from(twin.spectra.weights));
    expect(Array.from(keras.spectra.spectra)).toEqual(Array.from(twin.spectra.spectra));
    expect(keras.spectra.filters).toEqual(twin.spectra.filters);

    expect(keras.sweep.layers).toEqual(twin.sweep.layers);
    keras.sweep.images.forEach((img, i) => {
      const t = twin.sweep.images[i];
      expect(Array.from(img.top1)).toEqual(Array.from(t.top1));
      expectClose(img.pTrue, t.pTrue, `sweep P(true) ${img.path}`);
      for (const layer of keras.sweep.layers) expectClose(img.distance[layer], t.distance[layer], `sweep d(θ) ${layer}`);
    });
  }, 120_000);
});

describe('the preprocessing of a channels-last model', () => {
  it('saves with the model\'s layout, and refuses another', async () => {
    const info = await ok<ModelInfo>('openModel', { path: path.join(tmp, 'keras-engine.onnx') });
    const { layout: _, ...form } = info.preprocessing;
    const saved = await ok<ModelInfo>('savePreprocessing', { preprocessing: { ...form, scale: 127.5 } });
    expect(saved.preprocessing).toMatchObject({ scale: 127.5, layout: 'NHWC' });
    expect(JSON.parse(readFileSync(saved.sidecarPath, 'utf8'))).toMatchObject({ scale: 127.5, layout: 'NHWC' });
    const r = await call('savePreprocessing', { preprocessing: { ...form, layout: 'NCHW' } });
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/preprocessing\.layout.*must be "NHWC"/) } });
  }, 60_000);
});
