// Feature evolution over real parts: checkpoints built with GraphBuilder (same architecture,
// different weights), onnxruntime in the runtime process, PNGs decoded by sharp. Each cell is
// checked against a brute force (every image on its own through a plain onnxruntime session) and
// against the app's `project` of that one image at that position.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Preprocessing } from '../../../common/types.ts';
import { decodeImage, listImageFolder, preprocess, type FolderListing } from '../../images/index.ts';
import { listCheckpoints, type CheckpointFile } from '../../model/checkpoints.ts';
import { ModelSession } from '../../model/model-session.ts';
import { zfTestModel } from '../../onnx/index.ts';
import type { RuntimeHost } from '../../runtime/host.ts';
import { nodeRuntimeHost } from '../../runtime/launch-node.ts';
import { chooseProvider } from '../../runtime/provider.ts';
import { bruteForceTopk, noisePng, ortRunOne } from '../topk/testing.ts';
import { runEvolution, type EvolutionRun } from './run.ts';
import { seededMapSubset } from './subset.ts';

const runOne = ortRunOne();
let tmp: string;
let host: RuntimeHost;
let folder: FolderListing;
const models = new Map<string, Uint8Array>();
const ckptDir = () => path.join(tmp, 'ckpt');
const LAYER = 'conv3';

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-evolution-'));
  mkdirSync(ckptDir());
  // Written out of order: the set is ordered by the epoch in the names (2 before 10).
  for (const [name, seed] of [['run-epoch-10.onnx', 31], ['run-epoch-1.onnx', 32], ['run-epoch-2.onnx', 33]] as const) {
    const bytes = zfTestModel({ inputSize: 48, channels: 1, classes: 3, seed });
    models.set(name, bytes);
    writeFileSync(path.join(ckptDir(), name), bytes);
  }
  // Class folders named by index: the folder is labelled for a model without a label file.
  for (let i = 0; i < 14; i++) await noisePng(path.join(tmp, 'images', String(i % 3), `img${i}.png`), i + 40, 36);
  folder = await listImageFolder(path.join(tmp, 'images'));
  host = nodeRuntimeHost();
}, 60_000);

afterAll(async () => {
  await host.close();
  rmSync(tmp, { recursive: true, force: true });
});

const choice = chooseProvider('cpu');

function run(checkpoints: CheckpointFile[], over: Partial<EvolutionRun> = {}) {
  return runEvolution({
    checkpoints,
    open: (c) => ModelSession.open(c.file, host, choice),
    close: (m) => m.close(),
    folder,
    layer: LAYER,
    load: async (m, p) => preprocess(await decodeImage(path.join(folder.root, p), { channels: 1 }), m.info.preprocessing),
    cacheDir: path.join(tmp, 'cache'),
    ...over,
  });
}

/** The brute force's class prediction: a plain onnxruntime session of the untapped model, one image at a time. */
async function bruteAccuracy(bytes: Uint8Array, p: Preprocessing): Promise<number> {
  const s = await ort.InferenceSession.create(bytes);
  let right = 0;
  for (const e of folder.entries) {
    const x = preprocess(await decodeImage(path.join(folder.root, e.path), { channels: 1 }), p);
    const logits = (await s.run({ input: new ort.Tensor('float32', x, [1, 1, 48, 48]) }, ['logits'])).logits.data as Float32Array;
    const best = logits.indexOf(Math.max(...logits));
    if (best === Number(e.className)) right++;
  }
  return right / folder.entries.length;
}

describe('feature evolution', () => {
  it('each cell is the checkpoint\'s top-1 by brute force, its projection is `project` at that image and position; accuracy is the brute force\'s', async () => {
    const checkpoints = await listCheckpoints(ckptDir());
    expect(checkpoints.map((c) => [c.name, c.epoch])).toEqual([['run-epoch-1.onnx', 1], ['run-epoch-2.onnx', 2], ['run-epoch-10.onnx', 10]]);
    const progress: [number, number][] = [];
    const r = await run(checkpoints, { onProgress: (d, t) => progress.push([d, t]) });
    expect(r.tensor).toBe('relu3');
    expect(r.maps.map((m) => m.channel)).toEqual(seededMapSubset(24, 8, 0));
    expect(progress.at(-1)).toEqual([42, 42]);
    expect(progress.every(([d], i) => i === 0 || d >= progress[i - 1][0])).toBe(true);
    const p = (await ModelSession.open(checkpoints[0].file, host, choice)).info.preprocessing;
    const paths = folder.entries.map((e) => e.path);
    let projected = 0;
    for (const [i, c] of checkpoints.entries()) {
      const bytes = models.get(c.name)!;
      const want = await bruteForceTopk(runOne, bytes, folder.root, paths, 'relu3', p, 1, 1);
      expect(r.checkpoints[i]).toMatchObject({ name: c.name, epoch: c.epoch, scanned: 14 });
      expect(r.checkpoints[i].accuracy).toBe(await bruteAccuracy(bytes, p));
      const session = await ModelSession.open(c.file, host, choice);
      for (const m of r.maps) {
        const cell = m.entries[i];
        const top = want[m.channel].entries[0];
        expect(cell.checkpoint).toBe(i);
        expect([cell.image, ...cell.position]).toEqual([top.image, ...top.position]);
        expect(cell.value).toBeCloseTo(top.value, 5);
        const x = preprocess(await decodeImage(path.join(folder.root, cell.image), { channels: 1 }), p);
        await session.keep('ref', x, ['logits']);
        const [ref] = await session.project('ref', async () => x, [{ layer: 'relu3', channel: m.channel, mode: 'single', position: cell.position }]);
        expect(cell.projection!.dims).toEqual(ref.dims);
        expect(cell.projection!.value).toBeCloseTo(ref.value, 5);
        // A map that never fires on the folder projects to zeros, in both.
        const scale = Math.max(...ref.data.map(Math.abs));
        if (top.value > 0) {
          expect(scale).toBeGreaterThan(0);
          projected++;
        }
        cell.projection!.data.forEach((v, j) => expect(Math.abs(v - ref.data[j])).toBeLessThanOrEqual(1e-5 * scale));
      }
      await session.close();
    }
    expect(projected).toBeGreaterThan(8);
    // Cached: no image passes through any checkpoint again, and the answer is the same.
    const again = await run(checkpoints);
    expect(again.checkpoints.map((c) => c.scanned)).toEqual([0, 0, 0]);
    expect(again.checkpoints.map((c) => c.accuracy)).toEqual(r.checkpoints.map((c) => c.accuracy));
    expect(again.maps.map((m) => m.entries.map((e) => [e.image, e.position, e.value]))).toEqual(r.maps.map((m) => m.entries.map((e) => [e.image, e.position, e.value])));
    // Scans cached without predictions (the Top-9 view scanned them): the accuracy comes from a plain pass, the same.
    rmSync(path.join(tmp, 'cache', 'predictions'), { recursive: true });
    const third = await run(checkpoints, { projections: false });
    expect(third.checkpoints.map((c) => c.scanned)).toEqual([0, 0, 0]);
    expect(third.checkpoints.map((c) => c.accuracy)).toEqual(r.checkpoints.map((c) => c.accuracy));
  }, 120_000);

  it('a folder whose classes do not name the model\'s gives the cells and a null accuracy (it failed reading the scores it had not asked for)', async () => {
    for (let i = 0; i < 6; i++) await noisePng(path.join(tmp, 'named', ['cats', 'dogs'][i % 2], `n${i}.png`), i + 90, 36);
    const other = await listImageFolder(path.join(tmp, 'named'));
    const checkpoints = await listCheckpoints(ckptDir());
    const r = await run(checkpoints.slice(0, 2), {
      folder: other, channels: [0, 3], projections: false, cacheDir: null,
      load: async (m, p) => preprocess(await decodeImage(path.join(other.root, p), { channels: 1 }), m.info.preprocessing),
    });
    expect(r.checkpoints.map((c) => c.accuracy)).toEqual([null, null]);
    expect(r.maps.map((m) => m.entries.length)).toEqual([2, 2]);
    for (const m of r.maps) for (const e of m.entries) expect(other.entries.some((x) => x.path === e.image)).toBe(true);
  }, 60_000);

  it('holds at most two checkpoints open at once, closes every one it opened, also when a checkpoint differs', async () => {
    let live = 0;
    let most = 0;
    let opens = 0;
    const counted = {
      open: async (c: CheckpointFile) => {
        const m = await ModelSession.open(c.file, host, choice);
        opens++;
        most = Math.max(most, ++live);
        return m;
      },
      close: async (m: ModelSession) => {
        live--;
        await m.close();
      },
    };
    const checkpoints = await listCheckpoints(ckptDir());
    const r = await run(checkpoints, { ...counted, channels: [1], projections: false, cacheDir: null });
    expect(r.checkpoints).toHaveLength(3);
    // Each but the first is opened twice: once to compare, once for its scan.
    expect([opens, most, live]).toEqual([5, 2, 0]);
    const other = path.join(tmp, 'other-arch');
    mkdirSync(other, { recursive: true });
    writeFileSync(path.join(other, 'epoch-3.onnx'), zfTestModel({ inputSize: 48, channels: 1, classes: 5, seed: 3 }));
    [opens, most] = [0, 0];
    await expect(run(await listCheckpoints([ckptDir(), path.join(other, 'epoch-3.onnx')]), { ...counted, cacheDir: null })).rejects.toThrow(/epoch-3\.onnx differs/);
    expect([opens, most, live]).toEqual([3, 2, 0]);
  }, 60_000);

  it('chosen channels, and a channel out of range is refused naming the layer', async () => {
    const checkpoints = await listCheckpoints(ckptDir());
    const r = await run(checkpoints.slice(0, 1), { channels: [5, 0], projections: false, cacheDir: null });
    expect(r.maps.map((m) => m.channel)).toEqual([5, 0]);
    expect(r.maps[0].entries[0].projection).toBeNull();
    await expect(run(checkpoints.slice(0, 1), { channels: [24], cacheDir: null })).rejects.toThrow(/channel 24 is out of range: layer "conv3" has 24 maps/);
  }, 60_000);

  it('a checkpoint with a changed layer is refused before any scan, naming the file and the layer', async () => {
    const other = path.join(tmp, 'other');
    mkdirSync(other);
    writeFileSync(path.join(other, 'epoch-3.onnx'), zfTestModel({ inputSize: 48, channels: 1, classes: 5, seed: 3 }));
    const checkpoints = await listCheckpoints([ckptDir(), path.join(other, 'epoch-3.onnx')]);
    expect(checkpoints.map((c) => c.epoch)).toEqual([1, 2, 3, 10]);
    let scanned = 0;
    await expect(run(checkpoints, { onProgress: (d) => (scanned = d) })).rejects.toThrow(
      'checkpoints must share one architecture: epoch-3.onnx differs from run-epoch-1.onnx: layer "logits" is [1×5], not [1×3]',
    );
    expect(scanned).toBe(0);
  }, 60_000);

  it('cancelling stops the run with CANCELLED', async () => {
    const checkpoints = await listCheckpoints(ckptDir());
    const ac = new AbortController();
    const r = run(checkpoints, { cacheDir: null, signal: ac.signal, onProgress: (d) => d > 0 && ac.abort() });
    await expect(r).rejects.toMatchObject({ code: 'CANCELLED' });
  }, 60_000);
});
