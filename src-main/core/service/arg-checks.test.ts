// Every call's argument limits, through the real dispatcher over a real service with the shipped demo
// model (zf-mini: 1×64×64 gray, 10 classes) and samples: in-range arguments succeed; out-of-range ones
// answer INVALID_ARGUMENT with a message naming the call and the argument (never INTERNAL); arguments
// of the wrong shape answer BAD_REQUEST. The model and its sidecar are copied, so nothing shipped changes.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Method } from '../../common/api.ts';
import { argSchemas } from '../../common/schemas.ts';
import { defaultPaths, packageRoot } from '../model/resources.ts';
import { createDispatcher, type Dispatch } from './dispatcher.ts';
import { createService, type ConvscopeService } from './service.ts';

let tmp: string;
let modelFile: string;
let service: ConvscopeService;
let call: Dispatch;
const samples = defaultPaths().images;
const oldCache = process.env.CONVSCOPE_CACHE_DIR;
const IMG = 'bag/00018.png';
const long = (n: number) => 'x'.repeat(n);
const CONV1 = '/conv1/Conv_output_0';
const RELU1 = '/relu1/Relu_output_0';
const CONV2 = '/conv2/Conv_output_0';
const CHECKPOINTS = path.join(packageRoot(), 'resources/models/zf-mini/checkpoints');

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-args-'));
  process.env.CONVSCOPE_CACHE_DIR = path.join(tmp, 'cache');
  const dir = path.join(packageRoot(), 'resources/models/zf-mini');
  for (const f of ['zf-mini.onnx', 'zf-mini.convscope.json', 'labels.txt']) copyFileSync(path.join(dir, f), path.join(tmp, f));
  modelFile = path.join(tmp, 'zf-mini.onnx');
  service = createService({ shell: 'server', provider: 'cpu' });
  call = createDispatcher(service);
  await service.openModel({ path: modelFile });
  await service.openFolder({ path: samples });
}, 60_000);

afterAll(async () => {
  await service.close();
  if (oldCache === undefined) delete process.env.CONVSCOPE_CACHE_DIR;
  else process.env.CONVSCOPE_CACHE_DIR = oldCache;
  rmSync(tmp, { recursive: true, force: true });
});

/** An argument of the call, and which argument (as messages write its path) is out of range. */
type Bad = [arg: Record<string, unknown>, argument: string];

interface Row {
  /** Arguments that must succeed (run in order: later ones may rely on earlier ones, e.g. a scan before its tiles). */
  good: () => Record<string, unknown>[];
  bad: () => Bad[];
}

const prep = () => ({ inputSize: [64, 64], channels: 'gray', scale: 255, mean: [0.286], std: [0.353], resize: 'stretch', labels: 'labels.txt' });
const withPrep = (p: Record<string, unknown>) => ({ preprocessing: { ...prep(), ...p } });

// zf-mini: conv1 has 32 maps over 32×32 (read after relu1); the input is 64×64.
const TABLE: Record<Method, Row> = {
  getState: { good: () => [{}], bad: () => [] },
  openModel: { good: () => [{ path: modelFile }], bad: () => [[{ path: '' }, 'path'], [{ path: long(4097) }, 'path']] },
  openFolder: { good: () => [{ path: samples }], bad: () => [[{ path: '' }, 'path'], [{ path: long(4097) }, 'path']] },
  listImages: {
    good: () => [{ offset: 0, limit: 1000 }, { offset: 299, limit: 1 }],
    bad: () => [
      [{ offset: -1, limit: 10 }, 'offset'], [{ offset: 1.5, limit: 10 }, 'offset'], [{ offset: NaN, limit: 10 }, 'offset'],
      [{ offset: 0, limit: 0 }, 'limit'], [{ offset: 0, limit: 1001 }, 'limit'], [{ offset: 0, limit: Infinity }, 'limit'],
    ],
  },
  thumbnail: { good: () => [{ path: IMG, size: 8 }, { path: IMG, size: 512 }], bad: () => [[{ path: IMG, size: 7 }, 'size'], [{ path: IMG, size: 513 }, 'size'], [{ path: '', size: 64 }, 'path']] },
  imagePreview: { good: () => [{ path: IMG }], bad: () => [[{ path: long(5000) }, 'path']] },
  predict: { good: () => [{ path: IMG }, { path: IMG, topK: 100 }], bad: () => [[{ path: IMG, topK: 0 }, 'topK'], [{ path: IMG, topK: 101 }, 'topK']] },
  savePreprocessing: {
    good: () => [withPrep({}), withPrep({ labels: undefined })],
    bad: () => [
      [withPrep({ scale: 0 }), 'preprocessing.scale'], [withPrep({ scale: -255 }), 'preprocessing.scale'], [withPrep({ scale: Infinity }), 'preprocessing.scale'],
      [withPrep({ std: [0] }), 'preprocessing.std[0]'], [withPrep({ mean: [NaN] }), 'preprocessing.mean[0]'], [withPrep({ mean: [] }), 'preprocessing.mean'],
      [withPrep({ inputSize: [0, 64] }), 'preprocessing.inputSize[0]'], [withPrep({ channels: 'CMYK' }), 'preprocessing.channels'],
      [withPrep({ resize: 'crop' }), 'preprocessing.resize'], [withPrep({ labels: [long(1001)] }), 'preprocessing.labels[0]'],
      // Limits of the open model: its input size and channel count.
      [withPrep({ inputSize: [32, 32] }), 'preprocessing.inputSize'], [withPrep({ channels: 'RGB', mean: [0, 0, 0], std: [1, 1, 1] }), 'preprocessing.channels'],
      [withPrep({ mean: [0.1, 0.2] }), 'preprocessing.mean'],
    ],
  },
  modelInput: { good: () => [{ path: IMG }], bad: () => [[{ path: '' }, 'path']] },
  layerActivations: { good: () => [{ path: IMG, layer: CONV1 }], bad: () => [[{ path: IMG, layer: '' }, 'layer'], [{ path: IMG, layer: long(1001) }, 'layer']] },
  project: {
    good: () => [
      { path: IMG, layer: RELU1, mode: 'single', targets: [{ channel: 0 }, { channel: 31, position: [31, 31] }] },
      { path: IMG, layer: RELU1, mode: 'map', targets: [{ channel: 5 }] },
    ],
    bad: () => [
      [{ path: IMG, layer: RELU1, mode: 'single', targets: [] }, 'targets'],
      [{ path: IMG, layer: RELU1, mode: 'single', targets: Array.from({ length: 1025 }, () => ({ channel: 0 })) }, 'targets'],
      [{ path: IMG, layer: RELU1, mode: 'single', targets: [{ channel: -1 }] }, 'targets[0].channel'],
      [{ path: IMG, layer: RELU1, mode: 'single', targets: [{ channel: 0, position: [-1, 0] }] }, 'targets[0].position[0]'],
      [{ path: IMG, layer: RELU1, mode: 'single', targets: [{ channel: 0, position: [0] }] }, 'targets[0].position'],
      [{ path: IMG, layer: RELU1, mode: 'both', targets: [{ channel: 0 }] }, 'mode'],
      // The layer's own counts: 32 maps of 32×32.
      [{ path: IMG, layer: RELU1, mode: 'single', targets: [{ channel: 0 }, { channel: 32 }] }, 'targets[1].channel'],
      [{ path: IMG, layer: RELU1, mode: 'single', targets: [{ channel: 0, position: [0, 32] }] }, 'targets[0].position'],
    ],
  },
  projectAll: {
    good: () => [{ path: IMG, layer: RELU1, mode: 'single', channels: [0, 31, 5] }, { path: IMG, layer: RELU1, mode: 'map', channels: [3], jobId: 'arg-checks-all' }],
    bad: () => [
      [{ path: IMG, layer: RELU1, mode: 'single', channels: [] }, 'channels'],
      [{ path: IMG, layer: RELU1, mode: 'single', channels: [-1] }, 'channels[0]'],
      [{ path: IMG, layer: RELU1, mode: 'single', channels: [0, 32] }, 'channels[1]'],
      [{ path: IMG, layer: RELU1, mode: 'pixel', channels: [0] }, 'mode'],
      [{ path: IMG, layer: RELU1, mode: 'map', channels: [0], jobId: long(201) }, 'jobId'],
    ],
  },
  browse: { good: () => [{ kind: 'folder' }, { path: tmp, kind: 'model' }], bad: () => [[{ kind: 'file' }, 'kind'], [{ path: '', kind: 'folder' }, 'path']] },
  cancel: { good: () => [{ jobId: 'j' }, { jobId: long(200) }], bad: () => [[{ jobId: '' }, 'jobId'], [{ jobId: long(201) }, 'jobId']] },
  filterSpectra: {
    good: () => [{}, { model: modelFile, layer: CONV2 }],
    bad: () => [[{ layer: '' }, 'layer'], [{ model: long(4097) }, 'model'], [{ jobId: long(201) }, 'jobId'], [{ layer: long(1001) }, 'layer']],
  },
  spectraDemoModels: { good: () => [{}], bad: () => [] },
  invarianceSweep: {
    good: () => [
      { paths: [IMG], transform: 'scale', thetas: [1, 100] },
      { paths: [IMG], transform: 'rotate', thetas: [-360, 360], layers: [CONV1] },
      { paths: [IMG], transform: 'translate-x', thetas: [-64, 64] },
    ],
    bad: () => [
      [{ paths: [], transform: 'scale', thetas: [1] }, 'paths'],
      [{ paths: [IMG], transform: 'scale', thetas: [] }, 'thetas'],
      [{ paths: [IMG], transform: 'scale', thetas: Array(1001).fill(1) }, 'thetas'],
      [{ paths: [IMG], transform: 'shear', thetas: [1] }, 'transform'],
      [{ paths: [IMG], transform: 'scale', thetas: [1, -1] }, 'thetas[1]'],
      [{ paths: [IMG], transform: 'scale', thetas: [0] }, 'thetas[0]'],
      [{ paths: [IMG], transform: 'scale', thetas: [101] }, 'thetas[0]'],
      [{ paths: [IMG], transform: 'rotate', thetas: [361] }, 'thetas[0]'],
      [{ paths: [IMG], transform: 'rotate', thetas: [NaN] }, 'thetas[0]'],
      [{ paths: [IMG], transform: 'translate-x', thetas: [5000] }, 'thetas[0]'],
      [{ paths: [IMG], transform: 'scale', thetas: [1], layers: [] }, 'layers'],
      [{ paths: [IMG], transform: 'scale', thetas: [1], layers: Array(33).fill(CONV1) }, 'layers'],
      // The open model's input is 64 pixels wide.
      [{ paths: [IMG], transform: 'translate-x', thetas: [0, 65] }, 'thetas[1]'],
    ],
  },
  invarianceSweeps: {
    good: () => [
      { paths: [IMG], sweeps: [{ transform: 'scale', thetas: [1, 100] }] },
      { paths: [IMG], sweeps: [{ transform: 'rotate', thetas: [-360, 360] }, { transform: 'translate-y', thetas: [-64, 64] }], layers: [CONV1] },
    ],
    bad: () => [
      [{ paths: [], sweeps: [{ transform: 'scale', thetas: [1] }] }, 'paths'],
      [{ paths: [IMG], sweeps: [] }, 'sweeps'],
      [{ paths: [IMG], sweeps: Array(5).fill({ transform: 'scale', thetas: [1] }) }, 'sweeps'],
      [{ paths: [IMG], sweeps: [{ transform: 'scale', thetas: [] }] }, 'sweeps[0].thetas'],
      [{ paths: [IMG], sweeps: [{ transform: 'shear', thetas: [1] }] }, 'sweeps[0].transform'],
      [{ paths: [IMG], sweeps: [{ transform: 'scale', thetas: [1] }, { transform: 'rotate', thetas: [0, 361] }] }, 'sweeps[1].thetas[1]'],
      [{ paths: [IMG], sweeps: [{ transform: 'scale', thetas: [1] }], layers: [] }, 'layers'],
      // The open model's input is 64 pixels wide.
      [{ paths: [IMG], sweeps: [{ transform: 'scale', thetas: [1] }, { transform: 'translate-x', thetas: [0, 65] }] }, 'sweeps[1].thetas[1]'],
    ],
  },
  invarianceInput: {
    good: () => [{ path: IMG, transform: 'scale', theta: 0.5 }, { path: IMG, transform: 'translate-y', theta: -64 }],
    bad: () => [
      [{ path: IMG, transform: 'scale', theta: -1 }, 'theta'], [{ path: IMG, transform: 'scale', theta: 0 }, 'theta'],
      [{ path: IMG, transform: 'rotate', theta: Infinity }, 'theta'], [{ path: IMG, transform: 'rotate', theta: -400 }, 'theta'],
      [{ path: IMG, transform: 'translate-y', theta: 65 }, 'theta'],
    ],
  },
  shiftConsistency: {
    good: () => [{ paths: [IMG, 'coat/00006.png'], maxShift: 64, pairsPerImage: 1, seed: 4_294_967_295 }],
    bad: () => [
      [{ paths: [] }, 'paths'], [{ paths: [IMG], maxShift: -1 }, 'maxShift'], [{ paths: [IMG], maxShift: 4097 }, 'maxShift'],
      [{ paths: [IMG], pairsPerImage: 0 }, 'pairsPerImage'], [{ paths: [IMG], pairsPerImage: 101 }, 'pairsPerImage'],
      [{ paths: [IMG], seed: -1 }, 'seed'], [{ paths: [IMG], seed: 2 ** 32 }, 'seed'],
      [{ paths: [IMG], maxShift: 65 }, 'maxShift'],
    ],
  },
  topkScan: {
    good: () => [{ layers: [CONV1], k: 9 }],
    bad: () => [[{ layers: [] }, 'layers'], [{ layers: Array(257).fill(CONV1) }, 'layers'], [{ layers: [CONV1], k: 0 }, 'k'], [{ layers: [CONV1], k: 65 }, 'k'], [{ layers: [''] }, 'layers[0]']],
  },
  topkCached: {
    good: () => [{ layers: [CONV1], k: 9 }],
    bad: () => [[{ layers: [] }, 'layers'], [{ layers: [CONV1], k: 65 }, 'k'], [{ layers: [long(1001)] }, 'layers[0]']],
  },
  topkQueue: { good: () => [{}], bad: () => [] },
  topkTiles: {
    good: () => [{ layer: CONV1, channel: 31, k: 9, projections: false }],
    bad: () => [[{ layer: CONV1, channel: -1 }, 'channel'], [{ layer: CONV1, channel: 0, k: 65 }, 'k'], [{ layer: CONV1, channel: 32, k: 9 }, 'channel']],
  },
  evolutionCheckpoints: {
    good: () => [{ paths: [CHECKPOINTS, modelFile] }],
    bad: () => [[{ paths: [] }, 'paths'], [{ paths: [''] }, 'paths[0]'], [{ paths: [long(4097)] }, 'paths[0]']],
  },
  evolution: {
    good: () => [{ checkpoints: [CHECKPOINTS], layer: CONV1, maps: 2, seed: 4_294_967_295 }, { checkpoints: [modelFile], layer: CONV1, channels: [0, 31] }],
    bad: () => [
      [{ checkpoints: [], layer: CONV1 }, 'checkpoints'], [{ checkpoints: [CHECKPOINTS], layer: '' }, 'layer'],
      [{ checkpoints: [CHECKPOINTS], layer: CONV1, maps: 0 }, 'maps'], [{ checkpoints: [CHECKPOINTS], layer: CONV1, maps: 65 }, 'maps'],
      [{ checkpoints: [CHECKPOINTS], layer: CONV1, seed: -1 }, 'seed'], [{ checkpoints: [CHECKPOINTS], layer: CONV1, channels: [] }, 'channels'],
      // conv1 has 32 maps.
      [{ checkpoints: [CHECKPOINTS], layer: CONV1, channels: [3, 32] }, 'channels[1]'],
    ],
  },
  occlusion: {
    good: () => [{ path: IMG, size: 16, stride: 16, jobId: 'arg-checks-occlusion' }, { path: IMG, size: 64, stride: 64, targetClass: 9, layer: CONV1, channel: 31 }],
    bad: () => [
      [{ path: IMG, size: 0 }, 'size'], [{ path: IMG, size: -3 }, 'size'], [{ path: IMG, size: 4097 }, 'size'], [{ path: IMG, stride: 0 }, 'stride'],
      [{ path: IMG, targetClass: -1 }, 'targetClass'], [{ path: IMG, channel: 1.5 }, 'channel'],
      // The open model: a 64×64 input, 10 classes, conv1 with 32 maps and conv5 (the default layer) with fewer than 10,000.
      [{ path: IMG, size: 65 }, 'size'], [{ path: IMG, stride: 65 }, 'stride'], [{ path: IMG, targetClass: 10 }, 'targetClass'],
      [{ path: IMG, layer: CONV1, channel: 32 }, 'channel'], [{ path: IMG, channel: 9999 }, 'channel'],
    ],
  },
  modelReport: {
    good: () => [{ sections: ['spectra'] }],
    bad: () => [[{ sections: [] }, 'sections'], [{ sections: ['colour'] }, 'sections[0]'], [{ jobId: long(1001) }, 'jobId']],
  },
  layerMetrics: {
    good: () => [{}, { transform: 'rotate', theta: 90 }],
    bad: () => [[{ transform: 'skew' }, 'transform'], [{ theta: 1e7 }, 'theta']],
  },
  probe: {
    good: () => [{ layers: [CONV1, RELU1], folds: 2, lambda: 0.5, jobId: 'arg-checks-probe' }],
    bad: () => [
      [{ folds: 1 }, 'folds'], [{ folds: 51 }, 'folds'], [{ folds: 2.5 }, 'folds'], [{ lambda: 0 }, 'lambda'], [{ lambda: -1 }, 'lambda'],
      [{ lambda: 2e9 }, 'lambda'], [{ layers: [] }, 'layers'], [{ layers: [long(1001)] }, 'layers[0]'],
      // The open folder has at most 30 images of a class.
      [{ folds: 31 }, 'folds'],
    ],
  },
  probeCheckpoints: {
    good: () => [{ checkpoints: [modelFile], layers: [CONV1], folds: 2 }],
    bad: () => [
      [{ checkpoints: [] }, 'checkpoints'], [{ checkpoints: [''] }, 'checkpoints[0]'], [{ checkpoints: [CHECKPOINTS], folds: 1 }, 'folds'],
      [{ checkpoints: [CHECKPOINTS], lambda: 0 }, 'lambda'], [{ checkpoints: [CHECKPOINTS], layers: [] }, 'layers'],
      [{ checkpoints: [CHECKPOINTS], folds: 31 }, 'folds'],
    ],
  },
  jobs: { good: () => [{}], bad: () => [] },
  // After the occlusion row: its first call is kept under this id.
  jobResult: { good: () => [{ jobId: 'arg-checks-occlusion' }], bad: () => [[{ jobId: '' }, 'jobId'], [{ jobId: long(201) }, 'jobId']] },
  jobParts: {
    good: () => [{ jobId: 'arg-checks-occlusion', from: 0 }, { jobId: 'arg-checks-occlusion', from: 5 }],
    bad: () => [[{ jobId: '', from: 0 }, 'jobId'], [{ jobId: 'j', from: -1 }, 'from'], [{ jobId: 'j', from: 0.5 }, 'from']],
  },
  occlusionFaithfulness: {
    good: () => [{ path: IMG, layer: CONV1, channel: 0, size: 4, trials: 2, seed: 0 }, { path: IMG, layer: CONV1, channel: 31, position: [31, 31], trials: 1 }],
    bad: () => [
      [{ path: IMG, layer: CONV1, channel: -1 }, 'channel'], [{ path: IMG, layer: CONV1, channel: 0, size: 0 }, 'size'],
      [{ path: IMG, layer: CONV1, channel: 0, trials: 0 }, 'trials'], [{ path: IMG, layer: CONV1, channel: 0, trials: 65 }, 'trials'],
      [{ path: IMG, layer: CONV1, channel: 0, seed: -1 }, 'seed'], [{ path: IMG, layer: CONV1, channel: 0, position: [0, -1] }, 'position[1]'],
      [{ path: IMG, layer: CONV1, channel: 32 }, 'channel'], [{ path: IMG, layer: CONV1, channel: 0, position: [32, 0] }, 'position[0]'],
      [{ path: IMG, layer: CONV1, channel: 0, size: 65 }, 'size'],
    ],
  },
  correspondence: {
    good: () => [{ parts: [{ name: 'p', boxes: [{ image: IMG, box: [0, 0, 8, 8] }, { image: 'bag/00030.png', box: [56, 56, 8, 8] }] }], random: 1, seed: 3 }],
    bad: () => [
      [{ parts: [] }, 'parts'], [{ parts: [{ name: 'p', boxes: [{ image: IMG, box: [0, 0, 0, 8] }] }] }, 'parts[0].boxes[0].box[2]'],
      [{ parts: [{ name: 'p', boxes: [{ image: IMG, box: [-1, 0, 8, 8] }] }] }, 'parts[0].boxes[0].box[0]'],
      [{ parts: [{ name: '', boxes: [{ image: IMG, box: [0, 0, 8, 8] }] }] }, 'parts[0].name'],
      [{ parts: [{ name: 'p', boxes: [{ image: IMG, box: [0, 0, 8, 8] }, { image: IMG, box: [0, 0, 8, 8] }] }], random: 1001 }, 'random'],
      [{ parts: [{ name: 'p', boxes: [{ image: IMG, box: [0, 0, 8, 8] }, { image: IMG, box: [0, 0, 8, 8] }] }], seed: -1 }, 'seed'],
    ],
  },
  correspondenceInput: {
    good: () => [{ path: IMG, box: [0, 0, 64, 64] }, { path: IMG, box: [63, 63, 1, 1] }],
    bad: () => [[{ path: IMG, box: [0, 0, 8, 0] }, 'box[3]'], [{ path: IMG, box: [0, 0, 8, 4097] }, 'box[3]'], [{ path: '', box: [0, 0, 8, 8] }, 'path']],
  },
  correspondenceParts: {
    good: () => [{}, { parts: [{ name: 'p', boxes: [{ image: `fashion-mnist/${IMG}`, box: [0, 0, 8, 8] }] }] }],
    bad: () => [[{ parts: [{ name: 'p', boxes: [] }] }, 'parts[0].boxes']],
  },
};

describe('argument limits of every call', () => {
  it('the table covers every call of the contract', () => {
    expect(Object.keys(TABLE).sort()).toEqual(Object.keys(argSchemas).sort());
  });

  for (const method of Object.keys(TABLE) as Method[]) {
    it(`${method}: in-range arguments succeed; out-of-range ones are INVALID_ARGUMENT naming the argument`, async () => {
      for (const arg of TABLE[method].good()) {
        const r = await call(method, arg);
        expect(r, `${method} ${JSON.stringify(arg).slice(0, 200)}`).toMatchObject({ ok: true });
      }
      for (const [arg, argument] of TABLE[method].bad()) {
        const r = await call(method, arg);
        const what = `${method} ${JSON.stringify(arg).slice(0, 200)}`;
        expect(r.ok, what).toBe(false);
        if (r.ok) continue;
        expect(r.error.code, `${what}: ${r.error.message}`).toBe('INVALID_ARGUMENT');
        expect(r.error.message, what).toMatch(new RegExp(`^${method}: "${argument.replace(/[[\].]/g, '\\$&')}" must be .*, got `));
        expect(r.error.details).toMatchObject({ argument });
        expect(r.error.message.length, what).toBeLessThan(200);
      }
      // Whatever the shape is wrong about, it is BAD_REQUEST, never INTERNAL (a missing argument is {}:
      // calls whose arguments are all optional take it).
      const shapes: unknown[] = [{ unknownArgument: 1 }, 'text', 7, [1]];
      if (!argSchemas[method].safeParse({}).success) shapes.push(null, undefined);
      for (const arg of shapes) {
        const r = await call(method, arg);
        expect(r.ok ? 'ok' : r.error.code, `${method} ${JSON.stringify(arg)}`).toBe('BAD_REQUEST');
      }
    }, 60_000);
  }
});

describe('the cases that were found (issue 11 item 9)', () => {
  it('invarianceInput with scale −1 is INVALID_ARGUMENT, not INTERNAL', async () => {
    expect(await call('invarianceInput', { path: IMG, transform: 'scale', theta: -1 })).toEqual({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: 'invarianceInput: "theta" must be a scale factor greater than 0 and at most 100, got -1', details: { argument: 'theta' } },
    });
  });

  it('occlusion with size 0 runs nothing', async () => {
    const events: string[] = [];
    const off = service.on((e, p) => e === 'progress' && events.push((p as { label: string }).label));
    const r = await call('occlusion', { path: IMG, size: 0 });
    off();
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: 'occlusion: "size" must be an integer from 1 to 4096, got 0' } });
    expect(events).toEqual([]);
    expect(await call('occlusion', { path: IMG, size: 100 })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: 'occlusion: "size" must be an integer from 1 to 64 (the model input is 64×64), got 100' },
    });
  });

  it('a 1,000-character layer name is not echoed whole by any call', async () => {
    const layer = `${'a'.repeat(500)}${'z'.repeat(500)}`;
    const calls: [Method, Record<string, unknown>][] = [
      ['layerActivations', { path: IMG, layer }],
      ['project', { path: IMG, layer, mode: 'single', targets: [{ channel: 0 }] }],
      ['projectAll', { path: IMG, layer, mode: 'single', channels: [0] }],
      ['topkScan', { layers: [layer] }],
      ['topkCached', { layers: [layer] }],
      ['topkTiles', { layer, channel: 0 }],
      ['occlusion', { path: IMG, layer }],
      ['occlusionFaithfulness', { path: IMG, layer, channel: 0 }],
      ['filterSpectra', { layer }],
      ['invarianceSweep', { paths: [IMG], transform: 'scale', thetas: [1], layers: [layer] }],
      ['invarianceSweeps', { paths: [IMG], sweeps: [{ transform: 'scale', thetas: [1] }], layers: [layer] }],
      ['layerActivations', { path: layer, layer: CONV1 }],
      ['openModel', { path: `/nonexistent/${layer}${layer}` }],
      ['openFolder', { path: `/nonexistent/${layer}${layer}` }],
      ['browse', { path: `/nonexistent/${layer}${layer}`, kind: 'folder' }],
      ['filterSpectra', { model: `/nonexistent/${layer}${layer}` }],
    ];
    for (const [method, arg] of calls) {
      const r = await call(method, arg);
      expect(r.ok, method).toBe(false);
      if (r.ok) continue;
      expect(r.error.code, `${method}: ${r.error.message}`).not.toBe('INTERNAL');
      expect(r.error.message, method).not.toContain('a'.repeat(60));
      // Under 200 characters, but for what the message says of the model (filterSpectra lists its conv layers).
      expect(r.error.message.replace(/; conv layers: .*/, '').length, `${method}: ${r.error.message}`).toBeLessThan(200);
      // Both ends of the name stay, the middle is cut.
      expect(r.error.message, method).toMatch(/a…z/);
    }
  }, 60_000);
});
