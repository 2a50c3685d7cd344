// Probes over real parts: a GraphBuilder convnet in the runtime process, PNGs decoded by sharp, the
// features checked against plain onnxruntime sessions, and folds listed by hand.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageEntry } from '../../../common/types.ts';
import { decodeImage, listImageFolder, preprocess } from '../../images/index.ts';
import { ModelSession } from '../../model/model-session.ts';
import { GraphBuilder, seededRandom } from '../../onnx/index.ts';
import type { RuntimeHost } from '../../runtime/host.ts';
import { nodeRuntimeHost } from '../../runtime/launch-node.ts';
import { chooseProvider } from '../../runtime/provider.ts';
import { ortRunOne } from '../topk/testing.ts';
import { gatherFeatures } from './features.ts';
import { probeImages } from './folds.ts';
import { defaultProbeLayers, probeModel, type ProbeFolder } from './run.ts';

const COLOURS = ['red', 'green', 'blue'];

/**
 * conv1: 1×1, identity weights, so after its ReLU channel c is the image's channel c where that is
 * brighter than the mean colour: on images whose colour is their class, the spatial means are a
 * one-hot code of the class. conv2 passes those on and adds a mixed fourth map; fc keeps the first
 * three, logits are identities.
 */
function colourModel(): Uint8Array {
  const b = new GraphBuilder({ opset: 13, seed: 5 });
  const x = b.input('input', ['N', 3, 8, 8]);
  const eye = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const r1 = b.relu(b.conv(x, { outChannels: 3, kernel: 1, weights: eye, biasValues: [0, 0, 0], name: 'conv1' }), 'relu1');
  const r2 = b.relu(b.conv(r1, { outChannels: 4, kernel: 1, weights: [...eye, 0.3, -0.2, 0.5], biasValues: [0, 0, 0, 0.1], name: 'conv2' }), 'relu2');
  const g = b.flatten(b.globalAveragePool(r2, 'gap'), 1, 'flatten');
  const f = b.relu(b.gemm(g, { out: 3, weights: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0], biasValues: [0, 0, 0], name: 'fc' }), 'relu_fc');
  b.output(b.gemm(f, { out: 3, weights: eye, biasValues: [0, 0, 0], name: 'logits' }));
  // Outputs too, so that plain onnxruntime sessions can fetch them for the reference.
  b.output(r1);
  b.output(r2);
  return b.build();
}

let tmp: string;
let host: RuntimeHost;
let model: ModelSession;
let bytes: Uint8Array;
const images = () => path.join(tmp, 'images');

async function colourPng(file: string, cls: number, seed: number): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  const rnd = seededRandom(seed);
  const data = Buffer.alloc(8 * 8 * 3);
  // The class's channel bright (150…255), the others dark (0…60): above and below the ImageNet mean.
  for (let i = 0; i < data.length; i++) data[i] = i % 3 === cls ? 150 + Math.floor(rnd() * 105) : Math.floor(rnd() * 60);
  await sharp(data, { raw: { width: 8, height: 8, channels: 3 } }).png().toFile(file);
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-probe-'));
  bytes = colourModel();
  writeFileSync(path.join(tmp, 'm.onnx'), bytes);
  writeFileSync(path.join(tmp, 'm.convscope.json'), JSON.stringify({
    inputSize: [8, 8], channels: 'RGB', scale: 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: 'stretch', labels: COLOURS,
  }));
  for (let i = 0; i < 36; i++) await colourPng(path.join(images(), COLOURS[i % 3], `${String(i).padStart(3, '0')}.png`), i % 3, i + 1);
  await colourPng(path.join(tmp, 'flat', 'a.png'), 0, 99);
  await colourPng(path.join(tmp, 'flat', 'b.png'), 1, 98);
  host = nodeRuntimeHost();
  model = await ModelSession.open(path.join(tmp, 'm.onnx'), host, chooseProvider('cpu'));
}, 60_000);

afterAll(async () => {
  await host?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function folderOf(dir: string): Promise<ProbeFolder> {
  const listing = await listImageFolder(dir);
  return { root: dir, entries: listing.entries, load: async (p) => preprocess(await decodeImage(path.join(dir, p), { channels: 3 }), model.info.preprocessing) };
}

describe('probe folds', () => {
  it('sorts by path and deals the i-th image of each class to fold i mod k', () => {
    const entries: ImageEntry[] = ['b/2.png', 'a/3.png', 'b/1.png', 'a/1.png', 'c/9.png', 'a/2.png', 'b/3.png', 'b/4.png', 'top.png']
      .map((p) => ({ path: p, className: p.includes('/') ? p.split('/')[0] : null }));
    const got = probeImages(entries, 2, 'F');
    expect(got.paths).toEqual(['a/1.png', 'a/2.png', 'a/3.png', 'b/1.png', 'b/2.png', 'b/3.png', 'b/4.png', 'c/9.png']);
    expect(got.classes).toEqual(['a', 'b', 'c']);
    expect(Array.from(got.labels)).toEqual([0, 0, 0, 1, 1, 1, 1, 2]);
    expect(Array.from(got.folds)).toEqual([0, 1, 0, 0, 1, 0, 1, 0]);
    expect(got.unlabelled).toEqual(['top.png']);
  });

  it('sorts by code units, not naturally ("img10" before "img2")', () => {
    const got = probeImages(['x/img2.png', 'x/img10.png', 'y/a.png', 'y/b.png'].map((p) => ({ path: p, className: p[0] })), 2, 'F');
    expect(got.paths).toEqual(['x/img10.png', 'x/img2.png', 'y/a.png', 'y/b.png']);
    expect(Array.from(got.folds)).toEqual([0, 1, 0, 1]);
  });

  it('refuses a folder without class sub-folders, one class, or too few images for the folds', () => {
    const flat = [{ path: 'a.png', className: null }, { path: 'b.png', className: null }];
    expect(() => probeImages(flat, 5, '/data/x')).toThrow(/\/data\/x has no class sub-folders: linear probes need/);
    expect(() => probeImages([{ path: 'a/1.png', className: 'a' }, { path: 'a/2.png', className: 'a' }], 2, 'F')).toThrow(/one class sub-folder/);
    expect(() => probeImages([{ path: 'a/1.png', className: 'a' }, { path: 'b/1.png', className: 'b' }], 5, 'F')).toThrow(/too few for 5 folds/);
  });
});

describe('probeModel', () => {
  it('gathers each layer\'s per-channel spatial means in one pass, as plain onnxruntime computes them', async () => {
    const folder = await folderOf(images());
    const paths = folder.entries.map((e) => e.path);
    const got = await gatherFeatures(model, ['relu1', 'relu2', 'relu_fc'], paths.length, (i) => folder.load(paths[i]), { batchSize: 5 });
    expect(got.widths).toEqual([3, 4, 3]);
    const runOne = ortRunOne();
    for (const [i, p] of paths.entries()) {
      const input = await folder.load(p);
      for (const [t, name] of ['relu1', 'relu2'].entries()) {
        const full = await runOne(bytes, input, [1, 3, 8, 8], name);
        const C = full.dims[1];
        for (let c = 0; c < C; c++) {
          let s = 0;
          for (let j = 0; j < 64; j++) s += full.data[c * 64 + j];
          expect(got.features[t][i * C + c]).toBeCloseTo(s / 64, 5);
        }
      }
      const logits = (await runOne(bytes, input, [1, 3, 8, 8], 'logits')).data;
      expect(got.top1[i]).toBe(logits.indexOf(Math.max(...logits)));
    }
  });

  it('probes conv and hidden fc layers: a layer whose maps are the one-hot class scores 1', async () => {
    expect(defaultProbeLayers(model.info.layers, ['logits'])).toEqual(['conv1', 'conv2', 'fc']);
    const stages: string[] = [];
    const r = await probeModel(model, await folderOf(images()), { folds: 3 }, (stage, done, total) => stages.push(`${stage} ${done}/${total}`));
    expect(r).toMatchObject({ images: 36, classes: 3, classNames: ['blue', 'green', 'red'], folds: 3, lambda: 1, chance: 1 / 3, modelAccuracy: 1, skipped: [] });
    expect(r.layers.map((l) => [l.layer, l.tensor, l.features])).toEqual([['conv1', 'relu1', 3], ['conv2', 'relu2', 4], ['fc', 'relu_fc', 3]]);
    expect(r.layers[0]).toMatchObject({ accuracy: 1, std: 0, foldAccuracies: [1, 1, 1] });
    expect(stages[0]).toMatch(/^images \d+\/36$/);
    expect(stages).toContain('images 36/36');
    expect(stages.at(-1)).toBe('fitting 9/9');
  });

  it('says an unlabelled folder needs class sub-folders, and stops when cancelled', async () => {
    await expect(probeModel(model, await folderOf(path.join(tmp, 'flat')))).rejects.toThrow(/has no class sub-folders: linear probes need/);
    const ac = new AbortController();
    const run = probeModel(model, await folderOf(images()), { batchSize: 4 }, (stage, done) => done >= 8 && ac.abort(), ac.signal);
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(probeModel(model, await folderOf(images()), { layers: ['nope'] })).rejects.toThrow(/has no layer "nope"/);
  });
});
