// `convscope topk` as a user runs it: the real binary in a child process.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli } from './testing.ts';
import { zfTestModel } from '../core/onnx/index.ts';
import { bruteForceTopk, noisePng, ortRunOne } from '../core/analysis/topk/testing.ts';
import { defaultPreprocessing } from '../core/images/index.ts';


const runOne = ortRunOne();

let tmp: string;
let model: string;
let bytes: Uint8Array;
const paths: string[] = [];

const cli = (...args: string[]) => runCli(args, { CONVSCOPE_CACHE_DIR: path.join(tmp, 'cache') });

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-cli-topk-'));
  model = path.join(tmp, 'zf.onnx');
  bytes = zfTestModel({ inputSize: 64, channels: 1, classes: 4, seed: 8 });
  writeFileSync(model, bytes);
  for (let i = 0; i < 12; i++) {
    const rel = `c${i % 3}/${i}.png`;
    await noisePng(path.join(tmp, 'images', rel), i + 100, 50);
    paths.push(rel);
  }
  paths.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('convscope topk', () => {
  it('--json gives {layer, images, maps:[{channel, firingRate, entries:[{image, position, value}]}]} equal to a brute force; a repeat comes from the cache', async () => {
    const r = await cli('topk', '--model', model, '--images', path.join(tmp, 'images'), '--layer', 'conv3', '--k', '3', '--json', '--provider', 'cpu');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ layer: 'conv3', tensor: 'relu3', images: 12, scanned: 12 });
    const want = await bruteForceTopk(runOne, bytes, path.join(tmp, 'images'), paths, 'relu3', defaultPreprocessing(1, [64, 64]), 1, 3);
    expect(out.maps).toHaveLength(24);
    out.maps.forEach((m: { channel: number; firingRate: number; entries: { image: string; position: number[]; value: number }[] }, c: number) => {
      expect(m.channel).toBe(c);
      expect(m.firingRate).toBe(want[c].firingRate);
      expect(m.entries.map((e) => [e.image, ...e.position])).toEqual(want[c].entries.map((e) => [e.image, ...e.position]));
      m.entries.forEach((e, i) => expect(e.value).toBeCloseTo(want[c].entries[i].value, 5));
    });
    const again = JSON.parse((await cli('topk', '--model', model, '--images', path.join(tmp, 'images'), '--layer', 'conv3', '--k', '3', '--json')).stdout);
    expect(again.scanned).toBe(0);
    expect(again.maps).toEqual(out.maps);
  }, 60_000);

  it('exits 2 on usage errors and 1 naming an unknown layer', async () => {
    expect((await cli('topk', '--model', model, '--layer', 'conv1')).code).toBe(2);
    const r = await cli('topk', '--model', model, '--images', path.join(tmp, 'images'), '--layer', 'nope');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no layer "nope"/);
  });
});

describe('convscope topk: skipped files', () => {
  it('a folder where no image decodes exits 1 naming every file, listing skips included', async () => {
    const bad = path.join(tmp, 'undecodable');
    mkdirSync(path.join(bad, 'b'), { recursive: true });
    writeFileSync(path.join(bad, 'a.png'), 'not a png');
    writeFileSync(path.join(bad, 'b/c.jpg'), 'not a jpeg either');
    writeFileSync(path.join(bad, 'notes.txt'), 'hello');
    const r = await cli('topk', '--model', model, '--images', bad, '--layer', 'conv3', '--json');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/convscope: skipped a\.png: \S/);
    expect(r.stderr).toMatch(/convscope: skipped b\/c\.jpg: \S/);
    expect(r.stderr).toMatch(/convscope: skipped notes\.txt: not an image \(\.txt\)/);
    expect(r.stderr).toMatch(/none of the 2 images of .*undecodable could be read/);
    // A folder with no image at all names what it skipped too.
    rmSync(path.join(bad, 'a.png'));
    rmSync(path.join(bad, 'b'), { recursive: true });
    const empty = await cli('topk', '--model', model, '--images', bad, '--layer', 'conv3');
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/skipped notes\.txt: not an image[\s\S]*contains no images \(1 file skipped\)/);
  }, 60_000);

  it('names decode failures and listing skips in the JSON and on stderr, also from the cache; --strict exits 1', async () => {
    const mixed = path.join(tmp, 'mixed');
    mkdirSync(mixed, { recursive: true });
    for (const p of paths.slice(0, 4)) copyFileSync(path.join(tmp, 'images', p), path.join(mixed, path.basename(p)));
    writeFileSync(path.join(mixed, 'broken.png'), 'not a png');
    writeFileSync(path.join(mixed, 'readme.txt'), 'hi');
    const args = ['topk', '--model', model, '--images', mixed, '--layer', 'conv3', '--k', '2', '--json'];
    for (const attempt of ['scan', 'cache']) {
      const r = await cli(...args);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out).toMatchObject({ images: 4, failed: 1, total: 5, scanned: attempt === 'scan' ? 5 : 0 });
      expect(out.skipped).toEqual([{ path: 'readme.txt', reason: 'not an image (.txt)' }, { path: 'broken.png', reason: expect.any(String) }]);
      expect(r.stderr).toMatch(/skipped readme\.txt: not an image/);
      expect(r.stderr).toMatch(/skipped broken\.png: \S/);
    }
    // --strict: the listing's skip fails before any scan ...
    const strict = await cli(...args, '--strict');
    expect(strict.code).toBe(1);
    expect(strict.stdout).toBe('');
    expect(strict.stderr).toMatch(/skipped readme\.txt[\s\S]*--strict: 1 file of .*mixed skipped/);
    // ... and a decode failure after it.
    rmSync(path.join(mixed, 'readme.txt'));
    const strict2 = await cli(...args, '--strict');
    expect(strict2.code).toBe(1);
    expect(strict2.stdout).toBe('');
    expect(strict2.stderr).toMatch(/skipped broken\.png: \S[\s\S]*--strict: 1 file of .*mixed skipped/);
  }, 60_000);
});

describe('convscope topk: Ctrl-C and kill -9 keep the scanned part', () => {
  // A folder that takes a few seconds: 500 images through a 224×224×3 model.
  const N = 500;
  let big: string;
  let dir: string;
  let clean: { maps: { firingRate: number; meanMax: number; entries: unknown[] }[] } | null = null;
  const args = () => ['topk', '--model', big, '--images', dir, '--layer', 'conv5', '--k', '4', '--json', '--provider', 'cpu'];

  beforeAll(async () => {
    big = path.join(tmp, 'big.onnx');
    writeFileSync(big, zfTestModel({ inputSize: 224, channels: 3, classes: 4, seed: 9 }));
    dir = path.join(tmp, 'big');
    await Promise.all(Array.from({ length: N }, (_, i) => noisePng(path.join(dir, `c${i % 4}`, `${i}.png`), i + 7, 64, 3)));
  }, 60_000);

  /** The count of the first checkpoint that appears in the cache (a scan is under way). */
  async function checkpointCount(cache: string, until: number): Promise<number> {
    const folder = path.join(cache, 'topk');
    while (Date.now() < until) {
      const file = existsSync(folder) ? readdirSync(folder).find((n) => n.endsWith('.json')) : undefined;
      if (file) {
        const count = JSON.parse(readFileSync(path.join(folder, file), 'utf8')).count as number;
        if (count > 0) return count;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('no checkpoint appeared');
  }

  function cachedCount(cache: string): number {
    const folder = path.join(cache, 'topk');
    const files = readdirSync(folder).filter((n) => n.endsWith('.json'));
    expect(files).toHaveLength(1);
    return JSON.parse(readFileSync(path.join(folder, files[0]), 'utf8')).count;
  }

  async function expectResumesToClean(cache: string, kept: number): Promise<void> {
    const env = { CONVSCOPE_CACHE_DIR: cache };
    const resumed = await runCli(args(), env);
    expect(resumed.code, resumed.stderr).toBe(0);
    const out = JSON.parse(resumed.stdout);
    expect(out).toMatchObject({ images: N, total: N, scanned: N - kept, skipped: [] });
    clean ??= JSON.parse((await runCli([...args(), '--no-cache'], env)).stdout);
    out.maps.forEach((m: { firingRate: number; meanMax: number; entries: unknown[] }, c: number) => {
      expect(m.entries).toEqual(clean!.maps[c].entries);
      expect(m.firingRate).toBe(clean!.maps[c].firingRate);
      expect(m.meanMax).toBeCloseTo(clean!.maps[c].meanMax, 6);
    });
  }

  it('Ctrl-C mid-scan saves what was counted, says how much in one line, exits 130; a rerun resumes and equals a --no-cache run', async () => {
    const cache = path.join(tmp, 'cache-sigint');
    const run = spawnCli(args(), { CONVSCOPE_CACHE_DIR: cache, CONVSCOPE_CHECKPOINT_SECONDS: '0.5' });
    const atSignal = await checkpointCount(cache, Date.now() + 45_000);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stdout).toBe('');
    // One line of ours (onnxruntime's own log lines, if any, are not ours to count).
    const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('convscope:'));
    expect(lines).toHaveLength(1);
    const m = /^convscope: interrupted; (\d+) of (\d+) images are kept in the cache; the same command resumes from there$/.exec(lines[0]);
    expect(m, r.stderr).not.toBeNull();
    const kept = Number(m![1]);
    expect(Number(m![2])).toBe(N);
    expect(kept).toBeGreaterThanOrEqual(atSignal);
    expect(kept).toBeLessThan(N);
    expect(cachedCount(cache)).toBe(kept);
    await expectResumesToClean(cache, kept);
  }, 120_000);

  it('kill -9 mid-scan leaves the last checkpoint on disk; a rerun resumes from it and equals a --no-cache run', async () => {
    const cache = path.join(tmp, 'cache-sigkill');
    const run = spawnCli(args(), { CONVSCOPE_CACHE_DIR: cache, CONVSCOPE_CHECKPOINT_SECONDS: '0.3' });
    await checkpointCount(cache, Date.now() + 45_000);
    run.child.kill('SIGKILL');
    expect((await run.done).code).toBe(137);
    const kept = cachedCount(cache);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(N);
    await expectResumesToClean(cache, kept);
  }, 120_000);
});
