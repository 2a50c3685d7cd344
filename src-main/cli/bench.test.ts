// `convscope bench` as a user runs it: the real binary in a child process, on the shipped demo model.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './testing.ts';
import { writeNpy } from '../core/images/index.ts';
import { defaultPaths } from '../core/model/resources.ts';
import { seededRandom } from '../core/onnx/index.ts';

const model = defaultPaths().model;
const cli = (...args: string[]) => runCli(args);

interface InfoLayer {
  id: string;
  kind: string;
  shape: number[];
}

let tmp: string;
let layers: InfoLayer[];

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-cli-bench-'));
  const info = await cli('info', '--model', model, '--json', '--provider', 'cpu');
  expect(info.code).toBe(0);
  layers = JSON.parse(info.stdout).layers;
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const positive = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;

describe('convscope bench', () => {
  it('--json on zf-mini: the documented figures, positive and finite, for every conv layer\'s ReLU, each map projected once', async () => {
    const r = await cli('bench', '--model', model, '--repeat', '2', '--json', '--provider', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ model, input: 'seeded random', provider: 'cpu', backend: 'auto', runs: { repeat: 2 } });
    for (const key of ['openMs', 'forwardMs', 'tappedForwardMs', 'rssMB']) expect(positive(out[key]), key).toBe(true);
    if (process.platform === 'linux') {
      expect(positive(out.rssRuntimeMB)).toBe(true);
      expect(out.rssMB).toBeCloseTo(out.rssMainMB + out.rssRuntimeMB, 0);
      expect(out.rssNote).toBeUndefined();
    } else expect(out.rssNote).toEqual(expect.any(String));

    // The ReLU after each conv layer, read off `info` (zf-mini has one right behind every conv).
    const relus = layers.flatMap((l, i) => (l.kind === 'conv' ? [layers[i + 1]] : []));
    expect(relus.length).toBeGreaterThan(1);
    for (const relu of relus) expect(relu.kind).toBe('relu');
    expect(out.layers.map((l: { layer: string }) => l.layer)).toEqual(relus.map((l) => l.id));
    out.layers.forEach((row: Record<string, unknown>, i: number) => {
      expect(Object.keys(row).sort()).toEqual(['backend', 'layer', 'maps', 'mapsPerSecond', 'mapsTotal', 'projectMs', 'projectWithForwardMs']);
      // The demo model's reverse paths are small: under 'auto' the engine computes them.
      expect(row.backend).toBe('engine');
      for (const key of ['projectMs', 'projectWithForwardMs', 'mapsPerSecond']) expect(positive(row[key]), `${row.layer} ${key}`).toBe(true);
      // With --repeat there is no time budget: every map of the layer is projected, one projection each.
      expect(row.mapsTotal).toBe(relus[i].shape[1]);
      expect(row.maps).toBe(row.mapsTotal);
    });
  }, 60_000);

  it('--layer restricts to the layers named (any layer, in the order given); --tensor feeds the input; the text is a table', async () => {
    const rnd = seededRandom(5);
    const file = path.join(tmp, 't.npy');
    writeFileSync(file, writeNpy([1, 1, 64, 64], Float32Array.from({ length: 64 * 64 }, () => rnd() * 2 - 1)));
    const pool = layers.find((l) => l.kind === 'pool')!;
    const lastRelu = layers.filter((l) => l.kind === 'relu' && l.shape.length === 4).at(-1)!;
    const args = ['bench', '--model', model, '--tensor', file, '--layer', lastRelu.id, '--layer', pool.id, '--repeat', '1', '--provider', 'cpu'];
    const json = await cli(...args, '--json');
    expect(json.code, json.stderr).toBe(0);
    const out = JSON.parse(json.stdout);
    expect(out).toMatchObject({ input: 'tensor', tensor: file });
    expect(out.layers.map((l: { layer: string; maps: number }) => [l.layer, l.maps])).toEqual([[lastRelu.id, lastRelu.shape[1]], [pool.id, pool.shape[1]]]);

    const text = await cli(...args);
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toMatch(/^zf-mini\.onnx on cpu, deconv auto; input: .*t\.npy$/);
    expect(lines).toContainEqual(expect.stringMatching(/^layer\s+maps\s+project ms\s+\+ forward ms\s+maps\/s$/));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${pool.id.replace(/[/.]/g, '\\$&')}\\s+${pool.shape[1]}\\s+[\\d.]+\\s+[\\d.]+\\s+\\d+$`)));
  }, 60_000);

  it('a layer the model lacks fails naming it (exit 1); --repeat 0, or --image with --tensor, is a usage error (exit 2)', async () => {
    const bad = await cli('bench', '--model', model, '--layer', 'relu_nope', '--repeat', '1', '--provider', 'cpu');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/zf-mini\.onnx has no layer "relu_nope"/);
    const zero = await cli('bench', '--model', model, '--repeat', '0');
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/--repeat must be an integer ≥ 1, got "0"/);
    const both = await cli('bench', '--model', model, '--image', 'a.png', '--tensor', 'b.npy', '--repeat', '1', '--provider', 'cpu');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/give exactly one of --image or --tensor, or neither/);
  }, 60_000);

  it('--help shows its section, and convscope --help lists it with the others', async () => {
    for (const args of [['bench', '--help'], ['--help']]) {
      const r = await cli(...args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^ {2}convscope bench {5}--model M \[--layer L …\] \[--image I \| --tensor T\.npy\] \[--repeat N\] \[--json\]$/m);
      expect(r.stdout).toMatch(/Bug reports can carry its --json\./);
    }
  });
});
