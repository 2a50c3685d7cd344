// The report's shared pass (probe/scan-features.ts): with top-k and probes both asked for, the top-k
// scan's passes gather the probe's features, and the probe section is the one the probe gives alone;
// from a cached top-k the probe reads the folder itself. A small ZF-shaped net, a labelled folder
// of noise tinted by class, one file that is not an image.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeImage, listImageFolder, preprocess } from '../../images/index.ts';
import { ModelSession } from '../../model/model-session.ts';
import { seededRandom, zfTestModel } from '../../onnx/index.ts';
import type { ModelRewrite } from '../../runtime/protocol.ts';
import type { RuntimeHost } from '../../runtime/host.ts';
import { nodeRuntimeHost } from '../../runtime/launch-node.ts';
import { chooseProvider } from '../../runtime/provider.ts';
import { gatherProbe, probeSetup } from '../probe/run.ts';
import { scanProbe } from '../probe/scan-features.ts';
import { resolveScanLayer } from '../topk/layers.ts';
import { runTopk } from '../topk/run.ts';
import { gatherReport, type ReportFolder, type ReportOptions } from './gather.ts';

const CLASSES = ['a', 'b', 'c'];
let tmp: string;
let host: RuntimeHost;
let model: ModelSession;
let folder: ReportFolder;
let caches = 0;

async function tintedPng(file: string, cls: number, seed: number): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  const rnd = seededRandom(seed);
  const data = Buffer.alloc(40 * 40 * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(rnd() * 160) + (i % 3 === cls ? 90 : 0);
  await sharp(data, { raw: { width: 40, height: 40, channels: 3 } }).png().toFile(file);
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-report-shared-'));
  writeFileSync(path.join(tmp, 'm.onnx'), zfTestModel({ inputSize: 48, classes: 3, seed: 4 }));
  writeFileSync(path.join(tmp, 'm.convscope.json'), JSON.stringify({
    inputSize: [48, 48], channels: 'RGB', scale: 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: 'stretch', labels: CLASSES,
  }));
  const root = path.join(tmp, 'images');
  for (let i = 0; i < 30; i++) await tintedPng(path.join(root, CLASSES[i % 3], `${String(i).padStart(3, '0')}.png`), i % 3, i + 1);
  // Listed (by its name) but unreadable: both passes skip it.
  writeFileSync(path.join(root, 'b', '015b.png'), 'not a png');
  host = nodeRuntimeHost();
  model = await ModelSession.open(path.join(tmp, 'm.onnx'), host, chooseProvider('cpu'));
  const listing = await listImageFolder(root);
  folder = { root, entries: listing.entries, load: async (p) => preprocess(await decodeImage(path.join(root, p), { channels: 3 }), model.info.preprocessing) };
}, 60_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await host?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const options = (sections: ReportOptions['sections'], cacheDir = path.join(tmp, `cache-${caches++}`), stages?: string[]): ReportOptions => ({
  sections, cacheDir, version: 'test', date: 'test', onProgress: (s) => stages?.push(s),
});

/** Runs `f`, counting the model copies asked for by kind (the probe's own pass asks for a 'means' copy). */
async function copiesAsked<T>(f: () => Promise<T>): Promise<{ result: T; kinds: string[] }> {
  const kinds: string[] = [];
  const original = model.variantForward.bind(model);
  const spy = vi.spyOn(model, 'variantForward').mockImplementation((r: ModelRewrite) => {
    kinds.push(r.kind);
    return original(r);
  });
  try {
    return { result: await f(), kinds };
  } finally {
    spy.mockRestore();
  }
}

describe('report: top-k and probes in one pass', () => {
  it('gives the probe section of the probe alone, the broken file skipped, without the probe\'s own pass', async () => {
    const alone = await copiesAsked(() => gatherReport(model, folder, options(['probe'])));
    expect(alone.kinds).toEqual(['means']);
    const stages: string[] = [];
    const both = await copiesAsked(() => gatherReport(model, folder, options(['topk', 'probe'], undefined, stages)));
    expect(both.kinds).not.toContain('means');
    expect(both.result.topk).not.toBeNull();
    expect(stages).toContain('probe features');

    const p = alone.result.probe!;
    expect(p).toMatchObject({ images: 30, classes: 3, skipped: 1 });
    expect(p.modelAccuracy).not.toBeNull();
    expect(p.layers.map((l) => l.layer)).toEqual(['conv1', 'conv2', 'conv3', 'conv4', 'conv5', 'fc6']);
    expect(both.result.probe).toEqual(p);
    expect(both.result.metrics.find((m) => m.name === 'probe')).toEqual(alone.result.metrics.find((m) => m.name === 'probe'));
  }, 120_000);

  it('reads the folder for the probe when the top-k comes from the cache, with the same result', async () => {
    const cache = path.join(tmp, 'cache-shared');
    await gatherReport(model, folder, options(['topk'], cache));
    const cached = await copiesAsked(() => gatherReport(model, folder, options(['topk', 'probe'], cache)));
    expect(cached.kinds).toEqual(['means']);
    const alone = await gatherReport(model, folder, options(['probe']));
    expect(cached.result.probe).toEqual(alone.probe);
  }, 120_000);

  it('averages the scanned maps as the probe\'s in-graph means do; the failed image in the same place', async () => {
    const own = await gatherProbe(model, folder);
    const setup = probeSetup(model, folder);
    const scanned = ['conv1', 'conv2', 'conv3', 'conv4', 'conv5'].map((id) => resolveScanLayer(model.info.layers, id, model.info.name).tensor);
    const shared = scanProbe(setup, scanned);
    expect(shared.means).toEqual(scanned);
    expect(shared.also).toEqual(['relu6', 'logits']);
    const r = await runTopk({
      model, folder: { root: folder.root, paths: folder.entries.map((e) => e.path) }, layers: ['conv1', 'conv2', 'conv3', 'conv4', 'conv5'],
      load: folder.load, cacheDir: null, batchSize: 4, also: shared.also, means: shared.means, onAlso: shared.onAlso,
    });
    const got = shared.finish(r!.failures)!;
    expect(got).not.toBeNull();
    expect(got.skipped).toEqual(own.skipped);
    expect(got.skipped.map((s) => s.path)).toEqual(['b/015b.png']);
    expect(got.images).toEqual(own.images);
    expect(got.modelAccuracy).toBe(own.modelAccuracy);
    expect(got.widths).toEqual(own.widths);
    for (const [t, X] of got.features.entries()) {
      const want = own.features[t];
      expect(X.length).toBe(want.length);
      for (let i = 0; i < X.length; i++) if (!(Math.abs(X[i] - want[i]) <= 1e-6 + 1e-5 * Math.abs(want[i]))) expect.fail(`${own.tensors[t]}[${i}]: ${X[i]} vs ${want[i]}`);
    }
    // An image the scan did not read (here: a labelled one left out of the scan) leaves the probe to its own pass.
    const partial = scanProbe(setup, scanned);
    await runTopk({
      model, folder: { root: folder.root, paths: folder.entries.slice(1).map((e) => e.path) }, layers: ['conv1', 'conv2', 'conv3', 'conv4', 'conv5'],
      load: folder.load, cacheDir: null, also: partial.also, means: partial.means, onAlso: partial.onAlso,
    });
    expect(partial.finish([])).toBeNull();
  }, 120_000);
});
