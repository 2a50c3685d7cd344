// `convscope correspondence` as a user runs it: the real binary in a child process, on the shipped
// demo model and its parts file, and on parts files that are wrong in the ways users get them wrong.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../core/model/resources.ts';
import { runCli } from './testing.ts';

let tmp: string;
const root = packageRoot();
const model = path.join(root, 'resources/models/zf-mini/zf-mini.onnx');
const shipped = path.join(root, 'resources/samples/parts.json');
const samples = path.join(root, 'resources/samples/fashion-mnist');

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-cli-correspondence-'));
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const partsFile = (name: string, value: unknown) => {
  const f = path.join(tmp, name);
  writeFileSync(f, typeof value === 'string' ? value : JSON.stringify(value));
  return f;
};

describe('convscope correspondence', () => {
  it('--json on the shipped parts: {layers, parts: [{name, images, delta}], random: {draws, delta: {mean, std}}}, repeatable by seed', async () => {
    const r = await runCli(['correspondence', '--model', model, '--parts', shipped, '--json', '--random', '4', '--seed', '7']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.layers).toEqual(['/relu5/Relu_output_0', '/relu7/Relu_output_0']);
    expect(out.parts.map((p: { name: string }) => p.name)).toEqual(['heel of ankle boots', 'toe of ankle boots', 'collar of shirts', 'handle of bags']);
    for (const p of out.parts) {
      expect(p.images).toBe(5);
      for (const l of out.layers) {
        expect(p.delta[l]).toBeGreaterThan(0);
        expect(p.delta[l]).toBeLessThan(1);
      }
    }
    expect(out.random).toMatchObject({ draws: 4, seed: 7 });
    for (const l of out.layers) expect(out.random.delta[l].std).toBeGreaterThanOrEqual(0);
    const again = JSON.parse((await runCli(['correspondence', '--model', model, '--parts', shipped, '--json', '--random', '4', '--seed', '7'])).stdout);
    expect(again.random).toEqual(out.random);
    expect(again.parts).toEqual(out.parts);
  }, 60_000);

  it('--layers names the layers (a conv layer read after its ReLU); the text output is a table with the random row', async () => {
    const r = await runCli(['correspondence', '--model', model, '--parts', shipped, '--layers', '/conv5/Conv_output_0,/relu5/Relu_output_0', '--json', '--random', '1']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    for (const p of out.parts) expect(p.delta['/conv5/Conv_output_0']).toBe(p.delta['/relu5/Relu_output_0']);
    const text = await runCli(['correspondence', '--model', model, '--parts', shipped, '--random', '2']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^heel of ankle boots +5 +0\.\d{4} +0\.\d{4}$/m);
    expect(text.stdout).toMatch(/^random ×2 +0\.\d{4} ± 0\.\d{4} +0\.\d{4} ± 0\.\d{4}$/m);
  }, 60_000);

  it('bad parts files: a message naming the part and image, exit 2 for a box outside the input, 1 for an image that does not decode', async () => {
    const img = (c: string, n: string) => path.join(samples, c, n);
    const outside = partsFile('outside.json', { parts: [{ name: 'heel', boxes: [{ image: img('bag', '00018.png'), box: [0, 0, 8, 8] }, { image: img('bag', '00030.png'), box: [60, 0, 8, 8] }] }] });
    let r = await runCli(['correspondence', '--model', model, '--parts', outside]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`part "heel", image "${img('bag', '00030.png')}": box [60, 0, 8, 8] reaches outside the 64×64 model input`);
    const one = partsFile('one.json', { parts: [{ name: 'collar', boxes: [{ image: 'a.png', box: [0, 0, 8, 8] }] }] });
    r = await runCli(['correspondence', '--model', model, '--parts', one]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/part "collar" has 1 image; .*at least two/);
    writeFileSync(path.join(tmp, 'broken.png'), 'not an image');
    const broken = partsFile('broken.json', { parts: [{ name: 'handle', boxes: [{ image: img('bag', '00018.png'), box: [0, 0, 8, 8] }, { image: 'broken.png', box: [0, 0, 8, 8] }] }] });
    r = await runCli(['correspondence', '--model', model, '--parts', broken]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('part "handle", image "broken.png": ');
    r = await runCli(['correspondence', '--model', model, '--parts', partsFile('bad.json', '{"parts": ')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.json: not JSON/);
    r = await runCli(['correspondence', '--model', model, '--parts', shipped, '--random', '-1']);
    expect(r.code).toBe(2);
  }, 60_000);
});
