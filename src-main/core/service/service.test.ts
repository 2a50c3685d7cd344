// The service over real parts: models built with GraphBuilder, real files, real sharp, real
// onnxruntime-node (checked against a direct ORT run of the untapped model).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../common/api.ts';
import { DeconvEngine } from '../deconv/index.ts';
import { analyzeGraph, GraphBuilder, loadModelFile, serializeModel, tapModel, zfTestModel } from '../onnx/index.ts';
import { decodeImage, preprocess } from '../images/index.ts';
import { createService, type ConvscopeService } from './service.ts';
import { softmax } from '../model/model-session.ts';

let tmp: string;
let service: ConvscopeService;
const progress: ProgressEvent[] = [];

async function png(file: string, seed: number, size = 48): Promise<void> {
  const data = Buffer.alloc(size * size * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) data[i] = (s = (s * 1103515245 + 12345) & 0x7fffffff) >> 23;
  await sharp(data, { raw: { width: size, height: size, channels: 3 } }).png().toFile(file);
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-service-'));
  writeFileSync(path.join(tmp, 'zf.onnx'), zfTestModel({ inputSize: 64, channels: 3, classes: 5, seed: 7 }));
  mkdirSync(path.join(tmp, 'images/cat'), { recursive: true });
  mkdirSync(path.join(tmp, 'images/dog'));
  await png(path.join(tmp, 'images/cat/a.png'), 1);
  await png(path.join(tmp, 'images/cat/b.png'), 2, 80);
  await png(path.join(tmp, 'images/dog/c.png'), 3, 30);
  writeFileSync(path.join(tmp, 'images/notes.txt'), 'not an image');
  writeFileSync(path.join(tmp, 'images/dog/corrupt.png'), readFileSync(path.join(tmp, 'images/cat/a.png')).subarray(0, 60));
  mkdirSync(path.join(tmp, 'empty'));
  writeFileSync(path.join(tmp, 'empty/readme.md'), '# nothing here');
  writeFileSync(path.join(tmp, 'labels.txt'), 'cat\ndog\nbird\nfish\nfrog\n');
  service = createService({ shell: 'server', provider: 'cpu' });
  service.on((event, payload) => {
    if (event === 'progress') progress.push(payload as ProgressEvent);
  });
});

afterAll(async () => {
  await service.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('opening a model', () => {
  it('reports input, provider with reason, layers with measured shapes and receptive fields, and preprocessing assumed', async () => {
    const info = await service.openModel({ path: path.join(tmp, 'zf.onnx') });
    expect(info.input).toMatchObject({ channels: 3, height: 64, width: 64 });
    expect(info.provider).toBe('cpu');
    expect(info.providerReason).toBe('CPU requested');
    expect(info.numClasses).toBe(5);
    const conv1 = info.layers.find((l) => l.id === 'conv1')!;
    expect(conv1.shape).toEqual([1, 8, 32, 32]);
    expect(conv1.params).toBe(8 * 3 * 7 * 7 + 8);
    expect(conv1.receptiveField).toMatchObject({ size: [7, 7], stride: [2, 2] });
    expect(info.layers.find((l) => l.id === 'pool1')!.shape).toEqual([1, 8, 16, 16]);
    // No sidecar: the defaults are assumed, said so, and nothing is written into the model's folder.
    expect(info.preprocessingAssumed).toBe(true);
    expect(info.preprocessing).toMatchObject({ channels: 'RGB', mean: [0.485, 0.456, 0.406] });
    expect(info.sidecarPath).toBe(path.join(tmp, 'zf.convscope.json'));
    expect(existsSync(info.sidecarPath)).toBe(false);
    expect(progress.some((p) => p.finished && p.label.includes('zf.onnx'))).toBe(true);
  });

  it('predicts exactly what onnxruntime computes on the untapped model for the same preprocessed image', async () => {
    await service.openFolder({ path: path.join(tmp, 'images') });
    const p = await service.predict({ path: 'cat/b.png', topK: 5 });
    expect(p.trueClass).toBe('cat');
    const info = (await service.getState({})).model!;
    const tensor = preprocess(await decodeImage(path.join(tmp, 'images/cat/b.png'), { channels: 3 }), info.preprocessing);
    const session = await ort.InferenceSession.create(path.join(tmp, 'zf.onnx'));
    const out = await session.run({ input: new ort.Tensor('float32', tensor, [1, 3, 64, 64]) });
    const expected = softmax(out.logits.data as Float32Array);
    await session.release();
    const best = expected.indexOf(Math.max(...expected));
    expect(p.top[0].index).toBe(best);
    for (const t of p.top) expect(t.probability).toBeCloseTo(expected[t.index], 6);
    expect(p.top.map((t) => t.probability)).toEqual([...p.top.map((t) => t.probability)].sort((a, b) => b - a));
  });

  it('reuses the cached session while the file is unchanged, and reloads it when it changes', async () => {
    const file = path.join(tmp, 'zf.onnx');
    const first = await service.openModel({ path: file });
    const again = await service.openModel({ path: file });
    expect(again).toBe(first);
    writeFileSync(file, zfTestModel({ inputSize: 64, channels: 3, classes: 5, seed: 7 }));
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const reloaded = await service.openModel({ path: file });
    expect(reloaded).not.toBe(first);
    expect(reloaded.layers.map((l) => l.id)).toEqual(first.layers.map((l) => l.id));
  });

  it('says where the graph contradicts the preprocessing, and stops once the saved values fit', async () => {
    // A model that subtracts a Caffe-style mean itself: ImageNet mean/std on top would normalise twice.
    const b = new GraphBuilder();
    const x = b.input('image', [1, 3, 32, 32]);
    const centred = b.node('Sub', [x, b.initializer('caffe_mean', [1, 3, 1, 1], [103.94, 116.78, 123.68])], {}, 1, { name: 'subtract_mean', shapes: [[1, 3, 32, 32]] })[0];
    b.output(b.gemm(b.flatten(b.relu(b.conv(centred, { outChannels: 4, kernel: 3 }))), { out: 5 }));
    const file = path.join(tmp, 'caffe-mean.onnx');
    writeFileSync(file, b.build());
    const info = await service.openModel({ path: file });
    expect(info.preprocessingAssumed).toBe(true);
    expect(info.preprocessingHints).toHaveLength(1);
    expect(info.preprocessingHints[0]).toContain('node "subtract_mean" (Sub [103.9, 116.8, 123.7])');
    const saved = await service.savePreprocessing({ preprocessing: { ...info.preprocessing, scale: 1, mean: [0, 0, 0], std: [1, 1, 1] } });
    expect(saved.preprocessingHints).toEqual([]);
    rmSync(saved.sidecarPath);
    // The other tests go on with zf.onnx.
    expect((await service.openModel({ path: path.join(tmp, 'zf.onnx') })).preprocessingHints).toEqual([]);
  });

  it('uses labels from the sidecar and matches folder names to them', async () => {
    const info = (await service.getState({})).model!;
    const saved = await service.savePreprocessing({ preprocessing: { ...info.preprocessing, labels: 'labels.txt' } });
    // Saving confirms the preprocessing: written beside the model, no longer assumed.
    expect(saved).toMatchObject({ preprocessingAssumed: false, sidecarPath: path.join(tmp, 'zf.convscope.json'), labels: ['cat', 'dog', 'bird', 'fish', 'frog'] });
    expect(JSON.parse(readFileSync(saved.sidecarPath, 'utf8'))).toMatchObject({ channels: 'RGB', labels: 'labels.txt' });
    expect((await service.openModel({ path: path.join(tmp, 'zf.onnx') })).preprocessingAssumed).toBe(false);
    const p = await service.predict({ path: 'dog/c.png' });
    expect(p.trueIndex).toBe(1);
    expect(p.top[0].label).toMatch(/^(cat|dog|bird|fish|frog)$/);
  });
});

describe('layer browser calls', () => {
  it('returns a layer\'s maps with their maxima, and projections that match the engine run on ORT\'s own activations', async () => {
    await service.openModel({ path: path.join(tmp, 'zf.onnx') });
    await service.openFolder({ path: path.join(tmp, 'images') });
    const acts = await service.layerActivations({ path: 'cat/b.png', layer: 'relu2' });
    expect(acts.dims).toEqual([16, 8, 8]);
    for (let c = 0; c < 16; c++) expect(acts.maxima[c]).toBe(Math.max(...acts.data.subarray(c * 64, (c + 1) * 64)));
    const strongest = acts.maxima.indexOf(Math.max(...acts.maxima));
    const [single, map] = [
      (await service.project({ path: 'cat/b.png', layer: 'relu2', mode: 'single', targets: [{ channel: strongest }] }))[0],
      (await service.project({ path: 'cat/b.png', layer: 'relu2', mode: 'map', targets: [{ channel: strongest }] }))[0],
    ];
    expect(single.value).toBeCloseTo(acts.maxima[strongest], 5);
    expect(single.dims).toEqual([3, 64, 64]);
    expect(single.skipped).toEqual(expect.arrayContaining([expect.stringMatching(/contrast normalisation/)]));
    // Single projections stay inside the activation's receptive field, which the box reports.
    const { y0, x0, y1, x1 } = single.box!;
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 64; y++)
        for (let x = 0; x < 64; x++) {
          if (y >= y0 && y < y1 && x >= x0 && x < x1) continue;
          expect(single.data[(c * 64 + y) * 64 + x]).toBe(0);
        }
    expect(map.position).toBeNull();
    expect(map.box).toBeNull();
    expect((await sharp(single.png).metadata()).width).toBe(64);

    // Independent path: onnxruntime on the tapped model in this thread, the engine on its outputs.
    const { model } = await loadModelFile(path.join(tmp, 'zf.onnx'));
    const tapped = tapModel(model, 'all');
    const info = (await service.getState({})).model!;
    const tensor = preprocess(await decodeImage(path.join(tmp, 'images/cat/b.png'), { channels: 3 }), info.preprocessing);
    const session = await ort.InferenceSession.create(serializeModel(tapped.model));
    const out = await session.run({ input: new ort.Tensor('float32', tensor, [1, 3, 64, 64]) });
    await session.release();
    const actsMap = new Map(Object.entries(out).map(([k, t]) => [k, { dims: t.dims, data: t.type === 'int64' ? Int32Array.from(t.data as BigInt64Array, Number) : (t.data as Float32Array) }]));
    const engine = new DeconvEngine(analyzeGraph(model, 'zf.onnx'), tapped.switches);
    const expected = engine.project(actsMap, { layer: 'relu2', channel: strongest, mode: 'single' });
    expect(single.position).toEqual(expected.position);
    for (let i = 0; i < expected.data.length; i++) expect(single.data[i]).toBeCloseTo(expected.data[i], 5);
  });

  it('a unit whose activation is 0 projects to value 0 and an all-zero tensor (the panel says why it is grey)', async () => {
    const acts = await service.layerActivations({ path: 'cat/b.png', layer: 'relu2' });
    const [, h, w] = acts.dims;
    const at = acts.data.findIndex((v) => v === 0);
    expect(at).toBeGreaterThanOrEqual(0);
    const channel = Math.floor(at / (h * w));
    const position: [number, number] = [Math.floor((at % (h * w)) / w), at % w];
    const [p] = await service.project({ path: 'cat/b.png', layer: 'relu2', mode: 'single', targets: [{ channel, position }] });
    expect(p).toMatchObject({ channel, position, value: 0 });
    expect(p.data.every((v) => v === 0)).toBe(true);
  });

  it('names an unknown layer, and a channel out of range', async () => {
    await expect(service.layerActivations({ path: 'cat/b.png', layer: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('"nope"') });
    await expect(service.project({ path: 'cat/b.png', layer: 'relu2', mode: 'single', targets: [{ channel: 99 }] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'project: "targets[0].channel" must be an integer from 0 to 15 (layer "relu2" has 16 maps), got 99' });
  });

  it('shows the image as the model sees it', async () => {
    const img = await service.modelInput({ path: 'cat/b.png' });
    expect(img).toMatchObject({ width: 64, height: 64 });
    expect((await sharp(img.png).metadata()).channels).toBe(3);
  });
});

describe('image folders', () => {
  it('lists images by class, skipping non-images with a reason', async () => {
    const f = await service.openFolder({ path: path.join(tmp, 'images') });
    expect(f.count).toBe(4);
    expect(f.classes).toEqual(['cat', 'dog']);
    expect(f.skipped.find((s) => s.path === 'notes.txt')?.reason).toMatch(/not an image/);
    const page = await service.listImages({ offset: 1, limit: 2 });
    expect(page.total).toBe(4);
    expect(page.entries.map((e) => e.path)).toEqual(['cat/b.png', 'dog/c.png']);
  });

  it('serves thumbnails and previews as PNG bytes', async () => {
    const thumb = await service.thumbnail({ path: 'cat/b.png', size: 32 });
    const meta = await sharp(thumb).metadata();
    expect(meta.format).toBe('png');
    expect(Math.max(meta.width!, meta.height!)).toBe(32);
    const preview = await service.imagePreview({ path: 'cat/b.png' });
    expect(preview).toMatchObject({ width: 80, height: 80 });
  });

  it('names a corrupt image, lists it as skipped, and keeps working', async () => {
    await expect(service.predict({ path: 'dog/corrupt.png' })).rejects.toMatchObject({ code: 'IMAGE_DECODE_FAILED', message: expect.stringContaining('corrupt.png') });
    const state = await service.getState({});
    expect(state.folder!.skipped.some((s) => s.path === 'dog/corrupt.png')).toBe(true);
    expect((await service.predict({ path: 'cat/a.png' })).top).toHaveLength(5);
  });

  it('refuses paths outside the open folder', async () => {
    await expect(service.thumbnail({ path: '../zf.onnx', size: 32 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('1 good image, 4 broken ones and a text file: the broken ones join the skipped list marked unreadable, in plain words', async () => {
    const dir = path.join(tmp, 'mixed');
    mkdirSync(dir);
    const good = readFileSync(path.join(tmp, 'images/cat/a.png'));
    writeFileSync(path.join(dir, 'good.png'), good);
    for (let i = 1; i <= 3; i++) writeFileSync(path.join(dir, `cut${i}.png`), good.subarray(0, 40 + 80 * i));
    writeFileSync(path.join(dir, 'empty.png'), '');
    writeFileSync(path.join(dir, 'notes.txt'), 'not an image');
    try {
      const opened = await service.openFolder({ path: dir });
      expect(opened).toMatchObject({ count: 5, skipped: [{ path: 'notes.txt' }] });
      for (const rel of ['good.png', 'cut1.png', 'cut2.png', 'cut3.png', 'empty.png']) await service.thumbnail({ path: rel, size: 32 }).catch(() => null);
      const f = (await service.getState({})).folder!;
      expect(f.count).toBe(5);
      expect(f.skipped.map((s) => [s.path, s.unreadable ?? false]).sort()).toEqual([
        ['cut1.png', true], ['cut2.png', true], ['cut3.png', true], ['empty.png', true], ['notes.txt', false],
      ]);
      // Usable images + skipped files = the 6 files of the folder.
      expect(f.count - f.skipped.filter((s) => s.unreadable).length + f.skipped.length).toBe(6);
      expect(f.skipped.find((s) => s.path === 'empty.png')!.reason).toBe('empty.png: the file is empty');
      for (const s of f.skipped.filter((x) => x.path.startsWith('cut'))) expect(s.reason).toMatch(new RegExp(`^${s.path.replace('.', '\\.')}: the image is truncated or damaged \\(.+\\)$`));
    } finally {
      await service.openFolder({ path: path.join(tmp, 'images') });
    }
  });

  it('says an empty folder has no images, naming it, and keeps the previous folder', async () => {
    await expect(service.openFolder({ path: path.join(tmp, 'empty') })).rejects.toMatchObject({ code: 'FOLDER_EMPTY', message: expect.stringContaining('empty') });
    await expect(service.openFolder({ path: path.join(tmp, 'missing') })).rejects.toMatchObject({ code: 'FOLDER_NOT_FOUND' });
    expect((await service.getState({})).folder!.count).toBe(4);
  });
});

describe('bad models: a message naming the file and what is wrong, and the app stays usable', () => {
  const cases: [string, () => Uint8Array | null, string, RegExp][] = [
    ['random.onnx', () => { const b = new Uint8Array(4096); let s = 9; for (let i = 0; i < b.length; i++) b[i] = (s = (s * 69069 + 1) >>> 0) >>> 24; return b; }, 'MODEL_NOT_ONNX', /random\.onnx/],
    ['empty.onnx', () => new Uint8Array(0), 'MODEL_EMPTY', /empty\.onnx/],
    ['truncated.onnx', () => zfTestModel({ inputSize: 32 }).subarray(0, 3000), 'MODEL_NOT_ONNX', /truncated/],
    ['flat-input.onnx', () => {
      const b = new GraphBuilder();
      b.output(b.gemm(b.input('x', ['N', 20]), { out: 3 }));
      return b.build();
    }, 'MODEL_NO_IMAGE_INPUT', /flat-input\.onnx/],
    ['unknown-op.onnx', () => {
      const b = new GraphBuilder();
      const x = b.input('input', ['N', 1, 8, 8]);
      b.output(b.node('FrobnicateV9', [x], {}, 1, { domain: 'com.example', shapes: [['N', 1, 8, 8]] })[0]);
      return b.build();
    }, 'MODEL_UNSUPPORTED', /unknown-op\.onnx.*(FrobnicateV9|com\.example)/],
    ['shape-mismatch.onnx', () => zfTestModel({ inputSize: 32 }), 'MODEL_UNSUPPORTED', /shape-mismatch\.onnx.*Gemm/],
    ['folder.onnx', () => null, 'MODEL_READ_FAILED', /folder\.onnx/],
    ['lfs.onnx', () => new TextEncoder().encode('version https://git-lfs.github.com/spec/v1\noid sha256:3f2a9c\nsize 243892\n'), 'MODEL_NOT_ONNX',
      /^lfs\.onnx is a Git LFS pointer, not the model: run `git lfs pull` in its repository$/],
    ['future.onnx', () => {
      const b = new GraphBuilder({ opset: 99 });
      const h = b.relu(b.conv(b.input('input', ['N', 1, 16, 16]), { outChannels: 4, kernel: 3, pad: 1, name: 'conv1' }), 'relu1');
      b.output(b.gemm(b.flatten(h, 1, 'flat'), { out: 3, name: 'logits' }));
      return b.build();
    }, 'MODEL_UNSUPPORTED', /^future\.onnx uses opset 99 of ai\.onnx, newer than onnxruntime [\d.]+ supports \(up to opset \d+\); export it again with a lower opset/],
  ];
  for (const [name, make, code, pattern] of cases) {
    it(`${name} → ${code}`, async () => {
      const file = path.join(tmp, name);
      const bytes = make();
      if (bytes) writeFileSync(file, bytes);
      else mkdirSync(file);
      const err = await service.openModel({ path: file }).then(() => null, (e: unknown) => e as { code: string; message: string });
      expect(err).not.toBeNull();
      expect(err!.code).toBe(code);
      expect(err!.message).toMatch(pattern);
      // The previously opened model is still the current one, and still works.
      expect((await service.getState({})).model!.name).toBe('zf.onnx');
      expect((await service.predict({ path: 'cat/a.png' })).top.length).toBeGreaterThan(0);
    });
  }

  it('a sidecar whose preprocessing does not fit the model is named with the field', async () => {
    writeFileSync(path.join(tmp, 'gray.onnx'), zfTestModel({ inputSize: 64, channels: 1, classes: 3 }));
    writeFileSync(path.join(tmp, 'gray.convscope.json'), JSON.stringify({ inputSize: [64, 64], channels: 'gray', scale: 255, mean: [0.1, 0.2, 0.3], std: [1], resize: 'stretch' }));
    await expect(service.openModel({ path: path.join(tmp, 'gray.onnx') })).rejects.toMatchObject({
      code: 'SIDECAR_INVALID',
      message: expect.stringMatching(/gray\.convscope\.json.*mean/),
    });
    const ok = await service.openModel({ path: path.join(tmp, 'zf.onnx') });
    expect(ok.name).toBe('zf.onnx');
  });

  it('refuses preprocessing edits that do not fit, without losing the saved sidecar', async () => {
    const info = (await service.getState({})).model!;
    const before = readFileSync(info.sidecarPath, 'utf8');
    await expect(service.savePreprocessing({ preprocessing: { ...info.preprocessing, inputSize: [32, 32] } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'savePreprocessing: "preprocessing.inputSize" must be [64, 64] (the model input is 64×64), got [32, 32]',
      details: { argument: 'preprocessing.inputSize', field: 'inputSize' },
    });
    expect(readFileSync(info.sidecarPath, 'utf8')).toBe(before);
  });
});
