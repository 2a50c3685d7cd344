// `convscope topk` and `convscope occlusion` as a user runs them: the real binary in a child process.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './testing.ts';
import { writeNpy } from '../core/images/index.ts';
import { seededRandom, zfTestModel } from '../core/onnx/index.ts';
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

describe('convscope occlusion', () => {
  it('--json gives {size, stride, grid, pClass, top1, activity} as rows × cols; a zero-size occluder changes nothing', async () => {
    const r = await cli('occlusion', '--model', model, '--image', path.join(tmp, 'images', paths[0]), '--size', '16', '--stride', '8', '--class', '2', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ size: 16, stride: 8, grid: [7, 7], targetClass: 2, targetSource: 'chosen', layer: 'conv5', tensor: 'relu5' });
    for (const key of ['pClass', 'top1', 'activity']) {
      expect(out[key]).toHaveLength(7);
      for (const row of out[key]) expect(row).toHaveLength(7);
    }
    const rnd = seededRandom(3);
    const t = Float32Array.from({ length: 64 * 64 }, () => rnd() - 0.5);
    writeFileSync(path.join(tmp, 't.npy'), writeNpy([1, 1, 64, 64], t));
    const z = JSON.parse((await cli('occlusion', '--model', model, '--tensor', path.join(tmp, 't.npy'), '--size', '0', '--stride', '16', '--layer', 'conv2', '--channel', '3', '--json')).stdout);
    expect(z.grid).toEqual([5, 5]);
    for (const row of z.pClass) for (const p of row) expect(p).toBeCloseTo(z.base.pClass, 6);
    for (const row of z.activity) for (const a of row) expect(a).toBeCloseTo(z.base.activity, 4);
  }, 60_000);
});
