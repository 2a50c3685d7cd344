// The CLI on a channels-last (Keras/tf2onnx) model: `info` says its layout, `--tensor` takes its own
// layout and gives what the image path gives, and everything equals the channels-first twin's.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, defaultPreprocessing, preprocess, readNpy, writeNpy } from '../core/images/index.ts';
import { nhwcTestModels } from '../core/onnx/index.ts';
import { runCli } from './testing.ts';

const S = 32;
let tmp: string;
let nhwc: string;
let twin: string;
let photo: string;

const cli = (...args: string[]) => runCli([...args, '--provider', 'cpu']);

async function json(...args: string[]): Promise<Record<string, unknown>> {
  const r = await cli(...args, '--json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  expect(a.length, what).toBe(b.length);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  expect(scale, `${what}: not all zero`).toBeGreaterThan(0);
  expect(worst, what).toBeLessThanOrEqual(1e-5 * scale + 1e-6);
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-cli-nhwc-'));
  const models = nhwcTestModels({ inputSize: S, classes: 6, seed: 4 });
  nhwc = path.join(tmp, 'keras.onnx');
  twin = path.join(tmp, 'twin.onnx');
  writeFileSync(nhwc, models.nhwc);
  writeFileSync(twin, models.nchw);
  const data = Buffer.alloc(50 * 40 * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + (i >> 5) * 11) & 255;
  photo = path.join(tmp, 'photo.png');
  await sharp(data, { raw: { width: 50, height: 40, channels: 3 } }).png().toFile(photo);
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('convscope on a channels-last model', () => {
  it('info says the input is N×H×W×C, as the model declares it, and the preprocessing says NHWC', async () => {
    const info = await json('info', '--model', nhwc);
    expect(info.input).toEqual({ name: 'input_1', dims: ['unk__0', S, S, 3], layout: 'NHWC', channels: 3, height: S, width: S });
    expect(info.preprocessing).toMatchObject({ inputSize: [S, S], layout: 'NHWC' });
    expect((await json('info', '--model', twin)).input).toMatchObject({ dims: ['unk__0', 3, S, S], layout: 'NCHW' });
    const text = await cli('info', '--model', nhwc);
    expect(text.stdout).toMatch(/^input: input_1 \[unk__0×32×32×3\] \(NHWC: --tensor takes H×W×C; projections are C×H×W\), 6 classes$/m);
  });

  it('predict and project: --tensor in H×W×C equals --image, and both equal the twin\'s', async () => {
    const chw = preprocess(await decodeImage(photo, { channels: 3 }), defaultPreprocessing(3, [S, S]));
    const hwc = new Float32Array(chw.length);
    for (let c = 0; c < 3; c++) for (let p = 0; p < S * S; p++) hwc[p * 3 + c] = chw[c * S * S + p];
    const npy = path.join(tmp, 'hwc.npy');
    writeFileSync(npy, writeNpy([1, S, S, 3], hwc));

    const byTensor = (await json('predict', '--model', nhwc, '--tensor', npy)).logits as number[];
    const byImage = (await json('predict', '--model', nhwc, '--image', photo)).logits as number[];
    const ofTwin = (await json('predict', '--model', twin, '--image', photo)).logits as number[];
    expectClose(byTensor, byImage, 'predict --tensor vs --image');
    expectClose(byImage, ofTwin, 'predict: NHWC vs twin');

    // From the dense layer: the reverse path crosses the Transpose back to N×H×W×C.
    const project = async (model: string, input: string[], out: string) => {
      const r = await json('project', '--model', model, ...input, '--layer', 'logits', '--channel', '2', '--out', path.join(tmp, out));
      expect(r.shape).toEqual([3, S, S]);
      return readNpy(new Uint8Array(readFileSync(path.join(tmp, out))), out);
    };
    const pTensor = await project(nhwc, ['--tensor', npy], 'a.npy');
    const pImage = await project(nhwc, ['--image', photo], 'b.npy');
    const pTwin = await project(twin, ['--image', photo], 'c.npy');
    expect(pTensor.dims).toEqual([3, S, S]);
    expectClose(pTensor.data, pImage.data, 'project --tensor vs --image');
    expectClose(pImage.data, pTwin.data, 'project: NHWC vs twin');
  });

  it('a tensor in channels-first order is refused, naming the shape the model takes', async () => {
    const wrong = path.join(tmp, 'chw.npy');
    writeFileSync(wrong, writeNpy([1, 3, S, S], new Float32Array(3 * S * S)));
    const r = await cli('predict', '--model', nhwc, '--tensor', wrong, '--json');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/chw\.npy has shape \[1, 3, 32, 32\] but keras\.onnx takes 1×32×32×3 \(or 32×32×3, the model's own layout N×H×W×C\)/);
  });
});
