// `convscope occlusion` as a user runs it: the real binary in a child process.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './testing.ts';
import { writeNpy } from '../core/images/index.ts';
import { seededRandom, zfTestModel } from '../core/onnx/index.ts';
import { noisePng } from '../core/analysis/topk/testing.ts';

let tmp: string;
let model: string;
const image = 'c0/0.png';

const cli = (...args: string[]) => runCli(args);

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-cli-occlusion-'));
  model = path.join(tmp, 'zf.onnx');
  writeFileSync(model, zfTestModel({ inputSize: 64, channels: 1, classes: 4, seed: 8 }));
  await noisePng(path.join(tmp, 'images', image), 100, 50);
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('convscope occlusion', () => {
  it('--help shows the occlusion section, and convscope --help shows it too, every line as it read beside topk', async () => {
    const lines = [
      '  convscope occlusion --model M (--image I | --tensor T.npy) [--size s] [--stride t]',
      '                      [--class c] [--layer L --channel C] [--json]',
      '  occlusion a square of side s (default H/8) filled with 0 (the mean) slides with stride t (default',
      '            s/2) over the preprocessed input; per position P(class) (--class, else the true class',
      "            from the image's folder name, else the top-1), the top-1 class, and the total activity",
      '            of map C of layer L (default the strongest map of the last conv layer).',
    ];
    const own = await cli('occlusion', '--help');
    const all = await cli('--help');
    for (const r of [own, all]) {
      expect(r.code).toBe(0);
      for (const line of lines) expect(r.stdout.split('\n')).toContain(line);
    }
    expect(all.stdout).toMatch(/^ {2}convscope topk {6}--model M --images DIR --layer L/m);
  });

  it('--json gives {size, stride, grid, pClass, top1, activity} as rows × cols; out-of-range sizes, classes and maps are usage errors', async () => {
    const r = await cli('occlusion', '--model', model, '--image', path.join(tmp, 'images', image), '--size', '16', '--stride', '8', '--class', '2', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ size: 16, stride: 8, grid: [7, 7], targetClass: 2, targetSource: 'chosen', layer: 'conv5', tensor: 'relu5' });
    for (const key of ['pClass', 'top1', 'activity']) {
      expect(out[key]).toHaveLength(7);
      for (const row of out[key]) expect(row).toHaveLength(7);
    }
    // The app's limits, against this model: a square of side 0 (which would occlude nothing at every
    // position) or wider than the input, a class or map it does not have, is a usage error.
    const rnd = seededRandom(3);
    const t = Float32Array.from({ length: 64 * 64 }, () => rnd() - 0.5);
    writeFileSync(path.join(tmp, 't.npy'), writeNpy([1, 1, 64, 64], t));
    const tensor = ['occlusion', '--model', model, '--tensor', path.join(tmp, 't.npy'), '--json'];
    for (const [extra, message] of [
      [["--size", "0"], /--size must be an integer ≥ 1, got "0"/],
      [['--size', '65'], /"size" must be an integer from 1 to 64 \(the model input is 64×64\), got 65/],
      [['--class', '99'], /"targetClass" must be an integer from 0 to \d+ \(.* has \d+ classes\), got 99/],
      [['--layer', 'conv2', '--channel', '999'], /"channel" must be an integer from 0 to \d+ \(layer "?conv2"? has \d+ maps\), got 999/],
    ] as [string[], RegExp][]) {
      const r = await cli(...tensor, ...extra);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
    }
  }, 60_000);
});
