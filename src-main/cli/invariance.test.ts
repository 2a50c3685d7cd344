// `convscope invariance` and `convscope consistency` as a user runs them (child process, JSON out).
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './testing.ts';
import { defaultPaths } from '../core/model/resources.ts';
import { parseRange, roundRobin } from './invariance.ts';

const model = defaultPaths().model;
const samples = defaultPaths().images;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-invariance-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cli = (...args: string[]) => runCli(args);

async function gray(file: string): Promise<Uint8Array> {
  return new Uint8Array(await sharp(file).greyscale().raw().toBuffer());
}

describe('convscope invariance', () => {
  it('prints the sweep as JSON in the documented shape, writes the transformed inputs, and a translation is a pixel shift', async () => {
    const dump = path.join(tmp, 'dump');
    const images = [path.join(samples, 'trouser/00002.png'), path.join(samples, 'bag/00018.png')];
    const r = await cli('invariance', '--model', model, '--image', images.join(','), '--transform', 'translate-x', '--range=-2:4:4', '--json', '--dump-inputs', dump, '--provider', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.transform).toBe('translate-x');
    expect(out.thetas).toEqual([-2, 0, 2, 4]);
    expect(out.layers).toEqual(['/relu1/Relu_output_0', '/relu7/Relu_output_0']);
    expect(out.images).toHaveLength(2);
    const [trouser, bag] = out.images;
    expect(trouser).toMatchObject({ path: images[0], trueClass: 'Trouser', trueIndex: 1, trueFrom: 'folder' });
    expect(bag).toMatchObject({ trueClass: 'Bag', trueIndex: 8 });
    for (const img of out.images) {
      for (const l of out.layers) {
        expect(img.distance[l]).toHaveLength(4);
        expect(img.distance[l][1]).toBe(0);
        expect(img.normalized[l][1]).toBe(0);
        expect(img.distance[l][0]).toBeGreaterThan(0);
        expect(img.normalized[l][3]).toBeCloseTo(img.distance[l][3] / img.norm[l], 5);
      }
      expect(img.pTrue).toHaveLength(4);
      expect(img.top1).toHaveLength(4);
      for (const p of img.pTrue) expect(p).toBeGreaterThanOrEqual(0);
    }

    // 2 images × 4 values; θ = 2 is θ = 0 moved right by 2 px, the uncovered columns the mean colour.
    const files = readdirSync(dump).sort();
    expect(files).toHaveLength(8);
    expect(out.dumped).toBe(8);
    const zero = await gray(path.join(dump, '000-00002-translate-x-0.png'));
    const moved = await gray(path.join(dump, '000-00002-translate-x-2.png'));
    const mean = Math.round(0.286 * 255);
    for (let y = 0; y < 64; y++)
      for (let x = 0; x < 64; x++) expect(moved[y * 64 + x]).toBe(x < 2 ? mean : zero[y * 64 + x - 2]);
    // θ = 0 is the model input itself: the sample (28×28, upscaled bilinear to 64) has a black background.
    expect(zero[0]).toBe(0);
  });

  it('takes --images with --limit round-robin over the classes, defaults to the paper’s ranges, and prints a table without --json', async () => {
    const r = await cli('invariance', '--model', model, '--images', samples, '--limit', '3', '--transform', 'scale', '--layers', '/relu2/Relu_output_0', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.thetas).toHaveLength(17);
    expect(out.thetas[0]).toBe(1);
    expect(out.thetas.at(-1)).toBe(1.8);
    expect(new Set(out.images.map((i: { trueClass: string }) => i.trueClass)).size).toBe(3);
    expect(Object.keys(out.images[0].distance)).toEqual(['/relu2/Relu_output_0']);
    const text = await cli('invariance', '--model', model, '--image', path.join(samples, 'sandal/00008.png'), '--transform', 'rotate', '--range', '0:90:3');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/true class Sandal \(from the folder name\)/);
    expect(text.stdout).toMatch(/\n\s+45 /);
  });

  it('reports usage errors (exit 2) and bad layers (exit 1) naming what is wrong', async () => {
    const img = path.join(samples, 'bag/00018.png');
    const bad = await cli('invariance', '--model', model, '--image', img, '--transform', 'shear');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--transform must be one of translate-x, translate-y, scale, rotate/);
    const range = await cli('invariance', '--model', model, '--image', img, '--transform', 'rotate', '--range', '0:90');
    expect(range.code).toBe(2);
    expect(range.stderr).toMatch(/FROM:TO:STEPS/);
    const layer = await cli('invariance', '--model', model, '--image', img, '--transform', 'rotate', '--layers', 'conv9');
    expect(layer.code).toBe(1);
    expect(layer.stderr).toMatch(/no layer "conv9"/);
    const missing = await cli('invariance', '--model', model, '--image', path.join(tmp, 'nope.png'), '--transform', 'rotate');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.png/);
    // The app's limits against this 64×64 model: out-of-range transforms and consistency options are usage errors.
    for (const [args, message] of [
      [['invariance', '--image', img, '--transform', 'rotate', '--range', '0:400:5'], /rotate 400 must be an angle from -360 to 360/],
      [['invariance', '--image', img, '--transform', 'translate-x', '--range', '-80:80:5'], /translate-x -80 must be a translation from -64 to 64 pixels \(the model input is 64×64\)/],
      [['invariance', '--image', img, '--transform', 'scale', '--range', '1:500:3'], /scale 500 must be a scale factor greater than 0 and at most 100/],
      [['consistency', '--images', samples, '--pairs', '101'], /"pairs" must be an integer from 1 to 100, got 101/],
      [['consistency', '--images', samples, '--max-shift', '65'], /"max-shift" must be an integer from 0 to 64 \(the model input is 64×64\), got 65/],
    ] as [string[], RegExp][]) {
      const r = await cli(args[0], '--model', model, ...args.slice(1));
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  }, 60_000);
});

describe('convscope consistency', () => {
  it('reports the share of agreeing pairs with the number of pairs', async () => {
    const args = ['consistency', '--model', model, '--images', samples, '--limit', '12', '--pairs', '3', '--max-shift', '6', '--json'];
    const a = await cli(...args);
    expect(a.code, a.stderr).toBe(0);
    const out = JSON.parse(a.stdout);
    expect(out).toMatchObject({ images: 12, pairs: 36, pairsPerImage: 3, maxShift: 6, seed: 2019, skipped: [] });
    expect(out.consistency).toBeCloseTo(out.agree / 36, 12);
    expect(out.agree).toBeGreaterThan(18); // a trained model mostly agrees with itself under small shifts
    // No shift at all: every pair agrees.
    const none = JSON.parse((await cli('consistency', '--model', model, '--images', samples, '--limit', '5', '--max-shift', '0', '--json')).stdout);
    expect(none).toMatchObject({ agree: 25, pairs: 25, consistency: 1, maxShift: 0 });
  });
});

describe('skipped files (invariance and consistency)', () => {
  const mixed = path.join(tmp, 'mixed');
  const bad = path.join(tmp, 'undecodable');
  const run = (cmd: string, dir: string, ...extra: string[]) =>
    cli(cmd, '--model', model, '--images', dir, '--json', ...(cmd === 'invariance' ? ['--transform', 'rotate', '--range', '0:90:2'] : ['--pairs', '2']), ...extra);

  it('are named on stderr and in the JSON (absolute paths, as the images); --strict exits 1', async () => {
    for (const f of ['trouser/00002.png', 'bag/00018.png']) {
      mkdirSync(path.join(mixed, path.dirname(f)), { recursive: true });
      copyFileSync(path.join(samples, f), path.join(mixed, f));
    }
    writeFileSync(path.join(mixed, 'bag/broken.png'), 'not a png');
    writeFileSync(path.join(mixed, 'readme.txt'), 'x');
    const want = [{ path: path.join(mixed, 'readme.txt'), reason: 'not an image (.txt)' }, { path: path.join(mixed, 'bag/broken.png'), reason: expect.any(String) }];
    for (const cmd of ['invariance', 'consistency']) {
      const r = await run(cmd, mixed);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.skipped).toEqual(want);
      expect(cmd === 'invariance' ? out.images.length : out.images).toBe(2);
      expect(r.stderr).toContain(`skipped ${path.join(mixed, 'bag/broken.png')}: `);
      expect(r.stderr).toContain(`skipped ${path.join(mixed, 'readme.txt')}: not an image`);
      const strict = await run(cmd, mixed, '--strict');
      expect(strict.code).toBe(1);
      expect(strict.stdout).toBe('');
      expect(strict.stderr).toMatch(/--strict: 1 file of .*mixed skipped/);
    }
  }, 60_000);

  it('a folder where no image decodes exits 1 naming each file', async () => {
    mkdirSync(path.join(bad, 'coat'), { recursive: true });
    writeFileSync(path.join(bad, 'coat/a.png'), 'not a png');
    writeFileSync(path.join(bad, 'coat/b.jpg'), 'not a jpeg');
    for (const cmd of ['invariance', 'consistency']) {
      const r = await run(cmd, bad);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`skipped ${path.join(bad, 'coat/a.png')}: `);
      expect(r.stderr).toContain(`skipped ${path.join(bad, 'coat/b.jpg')}: `);
      expect(r.stderr).toMatch(/none of the 2 images of .*undecodable could be read/);
    }
  }, 60_000);
});

describe('argument helpers', () => {
  it('parseRange and roundRobin', () => {
    expect(parseRange('-17:17:35')).toEqual({ from: -17, to: 17, steps: 35 });
    expect(() => parseRange('1:2:0')).toThrow(/FROM:TO:STEPS/);
    expect(() => parseRange('a:2:3')).toThrow(/FROM:TO:STEPS/);
    const e = (className: string, i: number) => ({ path: `${className}/${i}.png`, className });
    const picked = roundRobin([e('a', 1), e('a', 2), e('a', 3), e('b', 1), e('c', 1), e('c', 2)], 5);
    expect(picked.map((x) => x.path)).toEqual(['a/1.png', 'b/1.png', 'c/1.png', 'a/2.png', 'c/2.png']);
  });
});
