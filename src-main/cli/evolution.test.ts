// `convscope evolution` as a user runs it, on the shipped demo: zf-mini's checkpoints (epochs 1, 2,
// 5, 10) and the final model over the 300 sample images.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../core/images/index.ts';
import { packageRoot } from '../core/model/resources.ts';
import { runCli } from './testing.ts';

const root = packageRoot();
const zf = path.join(root, 'resources/models/zf-mini');
const images = path.join(root, 'resources/samples/fashion-mnist');
const LAYER = '/conv2/Conv_output_0';
let tmp: string;
const cli = (...args: string[]) => runCli(args, { CONVSCOPE_CACHE_DIR: path.join(tmp, 'cache') });

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-cli-evolution-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Out {
  checkpoints: { model: string; epoch: number | null; accuracy: number | null }[];
  layer: string;
  maps: { channel: number; entries: { checkpoint: number; image: string; position: [number, number]; value: number; projection?: string }[] }[];
}

describe('convscope evolution', () => {
  it('on the demo: checkpoints by epoch then the final model; accuracies as PyTorch measured them; a projection per cell equal to `convscope project` there', async () => {
    const out = path.join(tmp, 'proj');
    const r = await cli('evolution', '--checkpoints', `${path.join(zf, 'checkpoints')},${path.join(zf, 'zf-mini.onnx')}`, '--images', images, '--layer', LAYER, '--maps', '3', '--out-dir', out, '--json', '--provider', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as Out;
    expect(json.checkpoints.map((c) => [path.basename(c.model), c.epoch])).toEqual([['epoch-01.onnx', 1], ['epoch-02.onnx', 2], ['epoch-05.onnx', 5], ['epoch-10.onnx', 10], ['zf-mini.onnx', null]]);
    // reference.json: accuracies train.py measured with PyTorch on the same 300 PNGs.
    const ref = JSON.parse(readFileSync(path.join(zf, 'reference.json'), 'utf8'));
    const want = [...['epoch-01', 'epoch-02', 'epoch-05', 'epoch-10'].map((k) => ref.checkpoints[k].samplesAccuracy), ref.samplesAccuracy];
    json.checkpoints.forEach((c, i) => expect(c.accuracy).toBeCloseTo(want[i], 12));
    expect(json.layer).toBe(LAYER);
    expect(json.maps).toHaveLength(3);
    for (const m of json.maps) {
      expect(m.entries.map((e) => e.checkpoint)).toEqual([0, 1, 2, 3, 4]);
      for (const e of m.entries) expect(e.projection).toBe(path.join(out, `${path.basename(json.checkpoints[e.checkpoint].model, '.onnx')}-c${m.channel}.npy`));
    }
    // One cell against the plain `project` command at its image and position.
    const cell = json.maps[0].entries[2];
    const refFile = path.join(tmp, 'ref.npy');
    const p = await cli('project', '--model', json.checkpoints[2].model, '--image', path.join(images, cell.image), '--layer', '/relu2/Relu_output_0', '--channel', String(json.maps[0].channel), '--position', cell.position.join(','), '--out', refFile, '--json');
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout).value).toBeCloseTo(cell.value, 5);
    const got = readNpy(readFileSync(cell.projection!), cell.projection!);
    const exp = readNpy(readFileSync(refFile), refFile);
    expect(got.dims).toEqual([1, 64, 64]);
    expect(got.dims).toEqual(exp.dims);
    const scale = Math.max(...Array.from(exp.data, Math.abs));
    expect(scale).toBeGreaterThan(0);
    Array.from(got.data).forEach((v, j) => expect(Math.abs(v - exp.data[j])).toBeLessThanOrEqual(1e-5 * scale));
    // Without --out-dir: no projection; the scans come from the cache and the cells are the same.
    const again = await cli('evolution', '--checkpoints', `${path.join(zf, 'checkpoints')},${path.join(zf, 'zf-mini.onnx')}`, '--images', images, '--layer', LAYER, '--maps', '3', '--json');
    expect(again.code, again.stderr).toBe(0);
    const j2 = JSON.parse(again.stdout) as Omit<Out, 'checkpoints'> & { checkpoints: { scanned: number }[] };
    expect(j2.checkpoints.map((c) => c.scanned)).toEqual([0, 0, 0, 0, 0]);
    expect(j2.maps.map((m) => m.entries.map((e) => [e.image, e.position, e.value, e.projection]))).toEqual(json.maps.map((m) => m.entries.map((e) => [e.image, e.position, e.value, undefined])));
  }, 120_000);

  it('refuses a checkpoint of another architecture naming the file and the layer (exit 1), and usage errors (exit 2)', async () => {
    const r = await cli('evolution', '--checkpoints', `${path.join(zf, 'checkpoints')},${path.join(root, 'resources/models/alex-mini/alex-mini.onnx')}`, '--images', images, '--layer', LAYER);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/checkpoints must share one architecture: alex-mini\.onnx differs from epoch-01\.onnx: layer "\/conv1\/Conv_output_0" is \[1×32×16×16\], not \[1×32×32×32\]/);
    const both = await cli('evolution', '--checkpoints', zf, '--images', images, '--layer', LAYER, '--maps', '2', '--channels', '1,2');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--maps or --channels, not both/);
    const bad = await cli('evolution', '--checkpoints', path.join(zf, 'checkpoints'), '--images', images, '--layer', LAYER, '--channels', '1,x');
    expect(bad.code).toBe(2);
    const range = await cli('evolution', '--checkpoints', path.join(zf, 'checkpoints'), '--images', images, '--layer', LAYER, '--channels', '64');
    expect(range.code).toBe(2);
    expect(range.stderr).toMatch(/channel 64 is out of range: layer "\/conv2\/Conv_output_0" has 64 maps/);
  }, 120_000);
});
