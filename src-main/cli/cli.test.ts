// The CLI as a user runs it: `bin/convscope.mjs` in a child process, JSON on stdout, errors on stderr.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './testing.ts';
import { readNpy, writeNpy } from '../core/images/index.ts';
import { seededRandom, zfTestModel } from '../core/onnx/index.ts';
import { softmax } from '../core/model/model-session.ts';

let tmp: string;
let model: string;

const cli = (...args: string[]) => runCli(args);

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-cli-'));
  model = path.join(tmp, 'zf224.onnx');
  writeFileSync(model, zfTestModel({ inputSize: 224, channels: 3, classes: 10, seed: 3 }));
  const data = Buffer.alloc(300 * 200 * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 7)) & 255;
  await sharp(data, { raw: { width: 300, height: 200, channels: 3 } }).jpeg().toFile(path.join(tmp, 'photo.jpg'));
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('convscope CLI', () => {
  it('--help lists the commands', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/convscope info/);
    expect(r.stdout).toMatch(/convscope predict/);
  });

  it('info --json describes a 3-channel 224×224 model', async () => {
    const r = await cli('info', '--model', model, '--json', '--provider', 'cpu');
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.input).toMatchObject({ name: 'input', channels: 3, height: 224, width: 224 });
    expect(info.provider).toBe('cpu');
    expect(info.numClasses).toBe(10);
    expect(info.layers.find((l: { id: string }) => l.id === 'conv1').shape).toEqual([1, 8, 112, 112]);
    expect(info.preprocessing.channels).toBe('RGB');
    // No sidecar: the defaults are assumed, and reading the model wrote nothing beside it.
    expect(info.preprocessingAssumed).toBe(true);
    expect(existsSync(info.sidecarPath)).toBe(false);
    const text = await cli('info', '--model', model, '--provider', 'cpu');
    expect(text.stdout).toMatch(/^preprocessing: \{.*\} \(assumed defaults: no [\w.-]+\.convscope\.json yet\)$/m);
  });

  it('predict --tensor matches onnxruntime on the same tensor, and --image runs the sidecar preprocessing', async () => {
    const x = new Float32Array(3 * 224 * 224);
    for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.01);
    const npy = path.join(tmp, 'x.npy');
    writeFileSync(npy, writeNpy([1, 3, 224, 224], x));
    const r = await cli('predict', '--model', model, '--tensor', npy, '--json', '--top', '3');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const session = await ort.InferenceSession.create(model);
    const logits = (await session.run({ input: new ort.Tensor('float32', x, [1, 3, 224, 224]) })).logits.data as Float32Array;
    await session.release();
    const p = softmax(logits);
    expect(out.top).toHaveLength(3);
    expect(out.top[0].index).toBe(p.indexOf(Math.max(...p)));
    out.logits.forEach((v: number, i: number) => expect(v).toBeCloseTo(logits[i], 5));

    const img = await cli('predict', '--model', model, '--image', path.join(tmp, 'photo.jpg'), '--json');
    expect(img.code, img.stderr).toBe(0);
    const top = JSON.parse(img.stdout).top;
    expect(top).toHaveLength(5);
    expect(top.reduce((s: number, t: { probability: number }) => s + t.probability, 0)).toBeLessThanOrEqual(1.0001);
  });

  it('project reproduces a PyTorch fixture (deconv/fixtures) for the shipped zf-mini model', async () => {
    const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../core/deconv/fixtures');
    const index = JSON.parse(readFileSync(path.join(fixtures, 'index.json'), 'utf8')) as {
      cases: { name: string; model: string; data: string; input: { seed: number; dims: number[] }; dims: number[];
        requests: { layer: string; channel: number; mode: string; position: [number, number] | null; crop: number[]; offset: number; length: number }[] }[];
    };
    const c = index.cases.find((x) => x.name === 'zf-mini')!;
    const rnd = seededRandom(c.input.seed);
    const x = Float32Array.from({ length: c.input.dims.reduce((a, b) => a * b, 1) }, () => rnd() * 2 - 1);
    const npy = path.join(tmp, 'fixture-input.npy');
    writeFileSync(npy, writeNpy(c.input.dims, x));
    const blob = new Float32Array(new Uint8Array(readFileSync(path.join(fixtures, c.data))).buffer);
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
    for (const r of c.requests.filter((q) => q.layer.startsWith('/relu')).slice(0, 2)) {
      const out = path.join(tmp, 'proj.npy');
      const args = ['project', '--model', path.join(root, c.model), '--tensor', npy, '--layer', r.layer, '--channel', String(r.channel), '--mode', r.mode, '--out', out, '--json'];
      if (r.position) args.push('--position', r.position.join(','));
      const res = await cli(...args);
      expect(res.code, res.stderr).toBe(0);
      const json = JSON.parse(res.stdout);
      expect(json).toMatchObject({ layer: r.layer, channel: r.channel, mode: r.mode, shape: c.dims });
      expect(typeof json.ms).toBe('number');
      const got = readNpy(new Uint8Array(readFileSync(out)), out);
      // Un-crop the reference and compare by cosine similarity (the fixture criterion).
      const [C, H, W] = c.dims;
      const [y0, x0, y1, x1] = r.crop;
      const h = y1 - y0 + 1;
      const w = x1 - x0 + 1;
      let dot = 0, na = 0, nb = 0;
      for (let ch = 0; ch < C; ch++)
        for (let yy = 0; yy < H; yy++)
          for (let xx = 0; xx < W; xx++) {
            const inside = yy >= y0 && yy <= y1 && xx >= x0 && xx <= x1;
            const e = inside ? blob[r.offset + (ch * h + yy - y0) * w + xx - x0] : 0;
            const a = got.data[(ch * H + yy) * W + xx];
            dot += a * e; na += a * a; nb += e * e;
          }
      expect(dot / Math.sqrt(na * nb)).toBeGreaterThanOrEqual(0.9999);
    }
  });

  it('errors go to stderr with a non-zero exit, naming what is wrong', async () => {
    const wrong = path.join(tmp, 'wrong.npy');
    writeFileSync(wrong, writeNpy([1, 1, 28, 28], new Float32Array(784)));
    const r1 = await cli('predict', '--model', model, '--tensor', wrong, '--json');
    expect(r1.code).toBe(1);
    expect(r1.stdout).toBe('');
    expect(r1.stderr).toMatch(/wrong\.npy has shape \[1, 1, 28, 28\].*1×3×224×224/);
    const r2 = await cli('info', '--model', path.join(tmp, 'nope.onnx'));
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/nope\.onnx/);
    const r3 = await cli('predict', '--model', model);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/--image or --tensor/);
    expect((await cli('frobnicate')).code).toBe(2);
  });
});
