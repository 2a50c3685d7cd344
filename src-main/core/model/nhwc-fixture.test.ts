// A channels-last model built with onnx.helper as tf2onnx lays out a Keras convnet, against PyTorch
// autograd with the deconvnet's rules (deconv/fixtures/make-nhwc-fixture.py): opened as the app
// opens it, fed the script's N×H×W×C input in Convscope's C×H×W, projected on both backends.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { argmaxAbs, cosine } from '../deconv/testing.ts';
import { seededRandom } from '../onnx/index.ts';
import { nodeRuntimeHost } from '../runtime/launch-node.ts';
import { chooseProvider } from '../runtime/provider.ts';
import { ModelSession } from './model-session.ts';

interface Fixture {
  model: string;
  modelSha256: string;
  data: string;
  input: { seed: number; dims: [number, number, number, number] };
  logits: number[];
  dims: [number, number, number];
  requests: {
    layer: string;
    channel: number;
    mode: 'single' | 'map';
    position: [number, number] | null;
    value: number;
    offset: number;
    length: number;
    maxAbs: { index: number; value: number; gap: number };
  }[];
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const HERE = fileURLToPath(new URL('../deconv/fixtures/', import.meta.url));
const fixture = JSON.parse(readFileSync(`${HERE}nhwc-keras.json`, 'utf8')) as Fixture;
const raw = readFileSync(`${HERE}${fixture.data}`);
const blob = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
const host = nodeRuntimeHost();

afterAll(() => host.close());

/** The script's N×H×W×C input (mulberry32 draws, u·2 − 1), and the same values as C×H×W. */
function input(): Float32Array {
  const [, H, W, C] = fixture.input.dims;
  const rnd = seededRandom(fixture.input.seed);
  const hwc = Float32Array.from({ length: H * W * C }, () => rnd() * 2 - 1);
  const chw = new Float32Array(hwc.length);
  for (let p = 0; p < H * W; p++) for (let c = 0; c < C; c++) chw[c * H * W + p] = hwc[p * C + c];
  return chw;
}

describe.each(['engine', 'compiled'] as const)('PyTorch reference for a channels-last model, %s backend', (deconv) => {
  it('opens it as NHWC, predicts the script\'s logits and projects as autograd does (cosine ≥ 0.9999, the same argmax)', async () => {
    const file = `${ROOT}${fixture.model}`;
    const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
    expect(sha, 'rerun /usr/bin/python3 src-main/core/deconv/fixtures/make-nhwc-fixture.py').toBe(fixture.modelSha256);
    const m = await ModelSession.open(file, host, { ...chooseProvider('cpu'), deconv });
    expect(m.info.input).toMatchObject({ name: 'input_1', dims: ['unk__0', 24, 24, 3], layout: 'NHWC', channels: 3 });
    const x = input();
    const out = await m.keep('fixture', x, [m.info.outputs[0].name]);
    const logits = out[m.info.outputs[0].name].data as Float32Array;
    fixture.logits.forEach((v, i) => expect(Math.abs(logits[i] - v)).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(v)));

    const projections = await m.project('fixture', async () => x, fixture.requests.map((r) => ({ layer: r.layer, channel: r.channel, mode: r.mode })));
    projections.forEach((p, k) => {
      const r = fixture.requests[k];
      const what = `${r.layer} c${r.channel} ${r.mode}`;
      expect(p.backend, what).toBe(deconv);
      expect(p.dims, what).toEqual(fixture.dims);
      expect(p.position, what).toEqual(r.position);
      expect(Math.abs(p.value - r.value), what).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(r.value));
      const ref = blob.subarray(r.offset, r.offset + r.length);
      expect(cosine(p.data, ref), what).toBeGreaterThanOrEqual(0.9999);
      if (r.maxAbs.gap > 1e-4) expect(argmaxAbs(p.data), what).toBe(r.maxAbs.index);
    });
    await m.close();
  }, 60_000);
});
