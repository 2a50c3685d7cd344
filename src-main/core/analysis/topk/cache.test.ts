// The scan cache on real files: images rewritten behind an unchanged mtime, damaged cache files, a
// cache path taken by a folder, orphaned temporary files and checkpoints, each run through the real
// scan (GraphBuilder convnet in onnxruntime, PNGs decoded by sharp) and compared with a clean scan.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, preprocess } from '../../images/index.ts';
import { zfTestModel } from '../../onnx/index.ts';
import { nodeRuntimeHost } from '../../runtime/launch-node.ts';
import { chooseProvider } from '../../runtime/provider.ts';
import { ModelSession } from '../../model/model-session.ts';
import { cacheFile, loadState, modelContentHash, ORPHAN_AGE_MS, sweepOrphans, type CacheKey } from './cache.ts';
import { resolveScanLayer } from './layers.ts';
import { runTopk, type TopkRun, type TopkRunResult } from './run.ts';
import { expectSameLayer, noisePng } from './testing.ts';

let tmp: string;
let host: ReturnType<typeof nodeRuntimeHost>;
let model: ModelSession;
const root = () => path.join(tmp, 'images');
const paths: string[] = [];
const K = 3;
const LAYERS = ['conv2', 'conv5'];

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-topk-cache-'));
  writeFileSync(path.join(tmp, 'm.onnx'), zfTestModel({ inputSize: 48, channels: 1, classes: 3, seed: 5 }));
  // Uncompressed PNGs: every image has the same size, so a replaced one differs only in content.
  for (let i = 0; i < 16; i++) {
    const rel = `${i % 2 ? 'b' : 'a'}/img${i}.png`;
    await noisePng(path.join(root(), rel), i + 40, 36, 1, true);
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

async function run(over: Partial<TopkRun> & { cacheDir: string | null }): Promise<TopkRunResult> {
  return (await runTopk({
    model,
    folder: { root: root(), paths },
    layers: LAYERS,
    k: K,
    load: async (p) => preprocess(await decodeImage(path.join(root(), p), { channels: 1 }), model.info.preprocessing),
    batchSize: 4,
    ...over,
  }))!;
}

function expectSame(a: TopkRunResult, b: TopkRunResult): void {
  expect(a.layers).toHaveLength(b.layers.length);
  a.layers.forEach((l, i) => expectSameLayer(l, b.layers[i]));
}

async function keyOf(layer: string): Promise<CacheKey> {
  return { modelHash: await modelContentHash(model.info.path), layer: resolveScanLayer(model.info.layers, layer, model.info.name), k: K, preprocessing: model.info.preprocessing, folder: root() };
}

const tmpFiles = (dir: string) => readdirSync(path.join(dir, 'topk')).filter((n) => n.endsWith('.tmp'));

describe('scan cache', () => {
  it('notices an image replaced in place keeping its size and mtime (touch -r) and then equals a clean scan', async () => {
    const dir = path.join(tmp, 'cache-touch');
    const before = await run({ cacheDir: dir });
    const file = path.join(root(), paths[5]);
    const ref = path.join(tmp, 'times-ref');
    writeFileSync(ref, '');
    execFileSync('touch', ['-r', file, ref]);
    const old = statSync(file, { bigint: true });
    // Other noise, rewritten in place (same inode) with the same byte count, then the old times put back.
    await noisePng(path.join(tmp, 'other.png'), 999, 36, 1, true);
    writeFileSync(file, readFileSync(path.join(tmp, 'other.png')));
    execFileSync('touch', ['-r', ref, file]);
    const now = statSync(file, { bigint: true });
    expect([now.size, now.mtimeNs, now.ino]).toEqual([old.size, old.mtimeNs, old.ino]);

    const after = await run({ cacheDir: dir });
    expect(after.rescanned).toEqual(LAYERS);
    expect(after.scanned).toBe(paths.length);
    expectSame(after, await run({ cacheDir: null }));
    // The replacement mattered: the stale cache would have reported other means.
    expect(after.layers[0].maps.some((m, c) => m.meanMax !== before.layers[0].maps[c].meanMax)).toBe(true);
  });

  describe('a damaged or inconsistent cache file is rebuilt, reported, and the result equals a clean scan', () => {
    let clean: TopkRunResult;
    beforeAll(async () => {
      clean = await run({ cacheDir: null });
    });

    const damage: [string, (j: Record<string, never> & { [k: string]: unknown }, text: string) => string, RegExp][] = [
      ['count −5', (j) => JSON.stringify({ ...j, count: -5 }), /count: .*>=0/],
      ['count inconsistent with seen', (j) => JSON.stringify({ ...j, count: (j.count as number) + 1 }), /count \d+ ≠/],
      ['a per-map list one short', (j) => JSON.stringify({ ...j, fired: (j.fired as number[]).slice(1) }), /not \d+ long/],
      ['NaN written by hand (not JSON)', (_, text) => text.replace(/"sumMax":\[[^,\]]+/, '"sumMax":[NaN'), /not JSON/],
      ['NaN as JSON writes it (null)', (j) => JSON.stringify({ ...j, sumMax: [null, ...(j.sumMax as number[]).slice(1)] }), /sumMax\.0/],
      ['a truncated file', (_, text) => text.slice(0, text.length >> 1), /not JSON/],
      ['not JSON at all', () => 'garbage{', /not JSON/],
      ['a JSON array', () => '[]', /file: /],
      ['a position outside the map', (j) => JSON.stringify({ ...j, top: (j.top as unknown[][][]).map((l, c) => (c === 0 ? [[l[0][0], 999, 0, l[0][3]], ...l.slice(1)] : l)) }), /outside/],
      ['an unsorted top list', (j) => JSON.stringify({ ...j, top: (j.top as unknown[][]).map((l, c) => (c === 0 ? [l[1], l[0], ...l.slice(2)] : l)) }), /not sorted/],
      ['a top entry that is not a counted image', (j) => JSON.stringify({ ...j, top: (j.top as unknown[][][]).map((l, c) => (c === 0 ? [['zzz.png', ...l[0].slice(1)], ...l.slice(1)] : l)) }), /not a counted image/],
      ['a path leaving the folder', (j) => JSON.stringify({ ...j, seen: [['../../etc/passwd', 'missing'], ...(j.seen as unknown[])] }), /folder-relative/],
      ['firing counts above the image count', (j) => JSON.stringify({ ...j, fired: (j.fired as number[]).map(() => 1000) }), /exceeds count/],
      ['more than k entries', (j) => JSON.stringify({ ...j, top: (j.top as unknown[][]).map((l) => [...l, ...l]) }), /entries, not/],
      ['a signature of another form', (j) => JSON.stringify({ ...j, seen: (j.seen as [string, string][]).map(([p]) => [p, '1700000000000']) }), /seen\.0\.1/],
    ];

    it.each(damage)('%s', async (_, mutate, reason) => {
      const dir = path.join(tmp, `cache-damaged-${damage.findIndex((d) => d[0] === _)}`);
      await run({ cacheDir: dir });
      const file = cacheFile(dir, await keyOf('conv2'));
      const text = readFileSync(file, 'utf8');
      writeFileSync(file, mutate(JSON.parse(text), text));
      const r = await run({ cacheDir: dir });
      expect(r.cacheRejected).toHaveLength(1);
      expect(r.cacheRejected[0].layer).toBe('conv2');
      expect(r.cacheRejected[0].reason).toMatch(reason);
      expect(r.scanned).toBe(paths.length);
      expectSame(r, clean);
      // Rebuilt on disk: the next look takes it as it is.
      expect((await loadState(dir, await keyOf('conv2'))).state?.count).toBe(paths.length);
      expect((await run({ cacheDir: dir })).scanned).toBe(0);
    });

    it('a file of an earlier version is rebuilt without being reported', async () => {
      const dir = path.join(tmp, 'cache-v1');
      await run({ cacheDir: dir });
      const file = cacheFile(dir, await keyOf('conv5'));
      writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), version: 1 }));
      const r = await run({ cacheDir: dir });
      expect(r.cacheRejected).toEqual([]);
      expect(r.scanned).toBe(paths.length);
      expectSame(r, clean);
    });
  });

  it('a cache path taken by a folder: the scan succeeds, says why it cannot cache, and leaves no temporary file', async () => {
    const dir = path.join(tmp, 'cache-folder');
    mkdirSync(cacheFile(dir, await keyOf('conv2')), { recursive: true });
    const warnings: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await run({ cacheDir: dir, onCacheWarning: (m) => warnings.push(m) });
      expect(r.complete).toBe(true);
      expectSame(r, await run({ cacheDir: null }));
      expect(r.cacheRejected).toEqual([{ layer: 'conv2', reason: expect.stringMatching(/is a folder/) }]);
      expect(tmpFiles(dir)).toEqual([]);
    }
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/could not write the scan cache: .*(EISDIR|directory)/i);
    // The other layer is cached as usual.
    expect((await loadState(dir, await keyOf('conv5'))).state?.count).toBe(paths.length);
  });

  it('removes temporary files orphaned long ago, and only those', async () => {
    const dir = path.join(tmp, 'cache-orphans');
    mkdirSync(path.join(dir, 'topk'), { recursive: true });
    const old = path.join(dir, 'topk', 'a.json.123.deadbeef.tmp');
    const fresh = path.join(dir, 'topk', 'b.json.456.cafe.tmp');
    const other = path.join(dir, 'topk', 'notes.txt');
    for (const f of [old, fresh, other]) writeFileSync(f, 'x');
    const long = new Date(Date.now() - ORPHAN_AGE_MS - 60_000);
    utimesSync(old, long, long);
    utimesSync(other, long, long);
    expect(await sweepOrphans(dir)).toBe(1);
    expect(readdirSync(path.join(dir, 'topk')).sort()).toEqual(['b.json.456.cafe.tmp', 'notes.txt']);
    // Loading sweeps too.
    utimesSync(fresh, long, long);
    await loadState(path.join(dir), await keyOf('conv2'));
    expect(tmpFiles(dir)).toEqual([]);
  });

  it('checkpoints during a scan: what is on disk mid-scan resumes, as after kill -9, to the same result', async () => {
    const dir = path.join(tmp, 'cache-checkpoint');
    const file = cacheFile(dir, await keyOf('conv2'));
    let snapshot: string | null = null;
    const r = await run({
      cacheDir: dir,
      checkpointMs: 0,
      // Called before the batch that ends at `done` is counted: the file holds the batches before it.
      onProgress: (done) => {
        if (done === 12) snapshot = readFileSync(file, 'utf8');
      },
    });
    expect(snapshot).not.toBeNull();
    const mid = JSON.parse(snapshot!);
    expect(mid.count).toBeGreaterThan(0);
    expect(mid.count).toBeLessThan(paths.length);
    // As if the process had died then: only the checkpoint is on disk.
    rmSync(path.join(dir, 'topk'), { recursive: true });
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, snapshot!);
    const resumed = await run({ cacheDir: dir, layers: ['conv2'] });
    expect(resumed.cacheRejected).toEqual([]);
    expect(resumed.scanned).toBe(paths.length - mid.count);
    expectSameLayer(resumed.layers[0], r.layers[0]);
  });
});
