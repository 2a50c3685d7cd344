// The top-k scan over real parts: a GraphBuilder convnet in onnxruntime (worker thread), PNGs
// decoded by sharp, against a brute-force reference that runs every image on its own.
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TopkLayerResult } from '../../../common/api-topk.ts';
import { decodeImage, preprocess } from '../../images/index.ts';
import { zfTestModel } from '../../onnx/index.ts';
import type { RuntimeHost } from '../../runtime/host.ts';
import { nodeRuntimeHost } from '../../runtime/launch-node.ts';
import { chooseProvider } from '../../runtime/provider.ts';
import { ModelSession } from '../../model/model-session.ts';
import { runTopk, type TopkRun } from './run.ts';
import type { LayerTopkState } from './state.ts';
import { bruteForceTopk, expectSameLayer, noisePng, ortRunOne, type BruteMap } from './testing.ts';


const runOne = ortRunOne();

let tmp: string;
let host: RuntimeHost;
let model: ModelSession;
let bytes: Uint8Array;
const root = () => path.join(tmp, 'images');
const paths: string[] = [];
const K = 4;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-topk-'));
  bytes = zfTestModel({ inputSize: 64, channels: 1, classes: 4, seed: 11 });
  writeFileSync(path.join(tmp, 'm.onnx'), bytes);
  for (let i = 0; i < 22; i++) {
    const rel = `${i % 2 ? 'b' : 'a'}/img${i}.png`;
    await noisePng(path.join(root(), rel), i, 40 + (i % 3) * 8);
    paths.push(rel);
  }
  paths.sort((x, y) => x.localeCompare(y, 'en', { numeric: true }));
  host = nodeRuntimeHost();
  model = await ModelSession.open(path.join(tmp, 'm.onnx'), host, chooseProvider('cpu'));
}, 60_000);

afterAll(async () => {
  await host.close();
  rmSync(tmp, { recursive: true, force: true });
});

function run(over: Partial<TopkRun> & { cacheDir: string | null }): ReturnType<typeof runTopk> {
  return runTopk({
    model,
    folder: { root: root(), paths },
    layers: ['conv2', 'conv5'],
    k: K,
    load: async (p) => preprocess(await decodeImage(path.join(root(), p), { channels: 1 }), model.info.preprocessing),
    batchSize: 4,
    ...over,
  });
}

function expectMatches(got: TopkLayerResult, want: BruteMap[]): void {
  expect(got.maps).toHaveLength(want.length);
  got.maps.forEach((m, c) => {
    expect(m.entries.map((e) => e.image)).toEqual(want[c].entries.map((e) => e.image));
    expect(m.entries.map((e) => e.position)).toEqual(want[c].entries.map((e) => e.position));
    m.entries.forEach((e, i) => expect(e.value).toBeCloseTo(want[c].entries[i].value, 5));
    expect(m.firingRate).toBe(want[c].firingRate);
    expect(m.meanMax).toBeCloseTo(want[c].meanMax, 5);
  });
  expect(got.neverFires).toEqual(want.flatMap((m, c) => (m.firingRate === 0 ? [c] : [])));
}

const expectSame = expectSameLayer;

describe('runTopk', () => {
  let full: Awaited<ReturnType<typeof runTopk>>;

  it('equals a brute-force top-k (sets, positions, values, firing rates, means), conv layers read after their ReLU', async () => {
    full = await run({ cacheDir: null });
    expect(full!.complete).toBe(true);
    expect(full!.scanned).toBe(paths.length);
    const [conv2, conv5] = full!.layers;
    expect(conv2.tensor).toBe('relu2');
    expect(conv5.tensor).toBe('relu5');
    expect(conv2.images).toBe(paths.length);
    expectMatches(conv2, await bruteForceTopk(runOne, bytes, root(), paths, 'relu2', model.info.preprocessing, 1, K));
    expectMatches(conv5, await bruteForceTopk(runOne, bytes, root(), paths, 'relu5', model.info.preprocessing, 1, K));
    // Entries carry their listing index (how the view opens an image).
    const e = conv2.maps[0].entries[0];
    expect(paths[e.index]).toBe(e.image);
  }, 60_000);

  it('resumes a cancelled scan from the disk cache and ends equal to the full scan', async () => {
    const dir = path.join(tmp, 'cache-resume');
    const c = new AbortController();
    let seen = 0;
    await expect(run({ cacheDir: dir, signal: c.signal, onProgress: (d) => ((seen = d), d >= 8 && c.abort()) })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(seen).toBeLessThan(paths.length);
    const partial = await run({ cacheDir: dir, scan: false });
    expect(partial!.complete).toBe(false);
    expect(partial!.layers[0].images).toBe(seen);
    const resumed = await run({ cacheDir: dir });
    expect(resumed!.scanned).toBe(paths.length - seen);
    resumed!.layers.forEach((l, i) => expectSame(l, full!.layers[i]));
    // Reopening: nothing to scan, same result.
    const again = await run({ cacheDir: dir });
    expect(again!.scanned).toBe(0);
    again!.layers.forEach((l, i) => expectSame(l, full!.layers[i]));
  }, 60_000);

  it('scans added images incrementally and equals the full scan', async () => {
    const dir = path.join(tmp, 'cache-incremental');
    const memory = new Map<string, LayerTopkState>();
    const first = await run({ cacheDir: dir, memory, folder: { root: root(), paths: paths.filter((_, i) => i % 3 !== 0) } });
    expect(first!.scanned).toBe(paths.filter((_, i) => i % 3 !== 0).length);
    const grown = await run({ cacheDir: dir, memory });
    expect(grown!.scanned).toBe(paths.filter((_, i) => i % 3 === 0).length);
    expect(grown!.rescanned).toEqual([]);
    grown!.layers.forEach((l, i) => expectSame(l, full!.layers[i]));
  }, 60_000);

  it('starts a layer over when a counted image was removed or changed', async () => {
    const dir = path.join(tmp, 'cache-removed');
    await run({ cacheDir: dir });
    const top = full!.layers[0].maps[0].entries[0].image;
    const fewer = paths.filter((p) => p !== top);
    const shrunk = await run({ cacheDir: dir, folder: { root: root(), paths: fewer } });
    expect(shrunk!.rescanned).toEqual(['conv2', 'conv5']);
    expect(shrunk!.layers[0].maps[0].entries.map((e) => e.image)).not.toContain(top);
    expectMatches(shrunk!.layers[0], await bruteForceTopk(runOne, bytes, root(), fewer, 'relu2', model.info.preprocessing, 1, K));
    // A changed file (new mtime) is not taken from the cache either.
    const file = path.join(root(), fewer[0]);
    writeFileSync(file, readFileSync(path.join(root(), fewer[1])));
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const changed = await run({ cacheDir: dir, folder: { root: root(), paths: fewer } });
    expect(changed!.scanned).toBe(fewer.length);
    expectMatches(changed!.layers[1], await bruteForceTopk(runOne, bytes, root(), fewer, 'relu5', model.info.preprocessing, 1, K));
  }, 60_000);

  it('leaves out an image that fails to load, and forgets it without a rescan once it is removed', async () => {
    const dir = path.join(tmp, 'cache-failed');
    writeFileSync(path.join(root(), 'a/broken.png'), 'not a png');
    const withBroken = [...paths, 'a/broken.png'];
    const r = await run({ cacheDir: dir, folder: { root: root(), paths: withBroken } });
    expect(r!.layers[0]).toMatchObject({ images: paths.length, failed: 1 });
    expect(r!.complete).toBe(true);
    // Compared with a fresh scan: an earlier test rewrote one of the images.
    const ref = await run({ cacheDir: null });
    r!.layers.forEach((l, i) => expectSame(l, ref!.layers[i]));
    const again = await run({ cacheDir: dir, folder: { root: root(), paths: withBroken } });
    expect(again!.scanned).toBe(0);
    const without = await run({ cacheDir: dir });
    expect(without!.rescanned).toEqual([]);
    expect(without!.scanned).toBe(0);
    expect(without!.layers[0].failed).toBe(0);
  }, 60_000);

  it('names a layer the model does not have', async () => {
    await expect(run({ cacheDir: null, layers: ['conv9'] })).rejects.toThrow(/no layer "conv9"/);
  });
});
