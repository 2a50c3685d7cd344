// Occlusion over real onnxruntime: the zero-size identity, a model that only sees one quadrant, the
// maps against one-at-a-time runs, and the faithfulness check's pieces against naive versions.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder, seededRandom, zfTestModel } from '../../onnx/index.ts';
import type { RuntimeHost } from '../../runtime/host.ts';
import { nodeRuntimeHost } from '../../runtime/launch-node.ts';
import { chooseProvider } from '../../runtime/provider.ts';
import { ModelSession, softmax } from '../../model/model-session.ts';
import { randomSquares, topMassMask } from './faithfulness.ts';
import { occludeInto, occlusionGeometry } from './grid.ts';
import { runFaithfulness, runOcclusion, strongestMap, strongestMaps } from './run.ts';

let tmp: string;
let host: RuntimeHost;
let zf: ModelSession;
let quadrant: ModelSession;
const S = 16;

/** Output depends only on the top-left 8×8 quadrant: a full-image conv whose weights are 0 elsewhere. */
function quadrantModel(): Uint8Array {
  const b = new GraphBuilder({ seed: 3 });
  let h = b.input('input', ['N', 1, S, S]);
  const rnd = seededRandom(9);
  const w = new Float32Array(4 * S * S);
  for (let o = 0; o < 4; o++) for (let y = 0; y < S / 2; y++) for (let x = 0; x < S / 2; x++) w[o * S * S + y * S + x] = rnd() * 2 - 1;
  h = b.conv(h, { outChannels: 4, kernel: S, name: 'conv1', weights: w });
  h = b.relu(h, 'relu1');
  h = b.flatten(h, 1, 'flatten');
  h = b.gemm(h, { out: 3, name: 'logits' });
  b.output(h);
  return b.build();
}

function image(n: number, seed: number): Float32Array {
  const rnd = seededRandom(seed);
  return Float32Array.from({ length: n }, () => rnd() * 2 - 1);
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-occlusion-'));
  writeFileSync(path.join(tmp, 'zf.onnx'), zfTestModel({ inputSize: 64, channels: 1, classes: 5, seed: 4 }));
  writeFileSync(path.join(tmp, 'quadrant.onnx'), quadrantModel());
  host = nodeRuntimeHost();
  zf = await ModelSession.open(path.join(tmp, 'zf.onnx'), host, chooseProvider('cpu'));
  quadrant = await ModelSession.open(path.join(tmp, 'quadrant.onnx'), host, chooseProvider('cpu'));
}, 60_000);

afterAll(async () => {
  await host.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('runOcclusion', () => {
  it('with a zero-size occluder every position equals the unoccluded image (identity)', async () => {
    const x = image(64 * 64, 1);
    const r = await runOcclusion(zf, x, 'x', { size: 0, stride: 8 });
    expect(r.grid).toEqual([9, 9]);
    for (let i = 0; i < 81; i++) {
      expect(r.pClass[i]).toBeCloseTo(r.base.pClass, 6);
      expect(r.top1[i]).toBe(r.base.top1);
      expect(r.activity[i]).toBeCloseTo(r.base.activity, 4);
    }
    // The default target is the top-1 class and the default map the strongest of the last conv layer.
    expect(r.targetSource).toBe('top1');
    expect(r.targetClass).toBe(r.base.top1);
    expect(r.layer).toBe('conv5');
    expect(r.tensor).toBe('relu5');
  }, 30_000);

  it('on a model that sees only the top-left quadrant, occluding elsewhere leaves P(class) unchanged', async () => {
    const x = image(S * S, 2);
    const r = await runOcclusion(quadrant, x, 'x', { size: 4, stride: 2, targetClass: 1 });
    const g = occlusionGeometry(S, S, 4, 2);
    expect(r.grid).toEqual([g.rows, g.cols]);
    expect(r.targetSource).toBe('chosen');
    let changedInside = 0;
    for (let row = 0; row < g.rows; row++) {
      for (let col = 0; col < g.cols; col++) {
        const p = r.pClass[row * g.cols + col];
        const touchesQuadrant = row * 2 < S / 2 && col * 2 < S / 2;
        if (!touchesQuadrant) expect(p).toBe(r.base.pClass);
        else if (Math.abs(p - r.base.pClass) > 1e-4) changedInside++;
      }
    }
    // Occluding the quadrant itself does change it (the test could fail).
    expect(changedInside).toBeGreaterThan(0);
  }, 30_000);

  it('matches running every occluded image on its own through onnxruntime', async () => {
    const x = image(64 * 64, 3);
    const r = await runOcclusion(zf, x, 'x', { size: 16, stride: 12, targetClass: 2, layer: 'conv4', channel: 5 });
    const g = occlusionGeometry(64, 64, 16, 12);
    const session = await ort.InferenceSession.create(path.join(tmp, 'zf.onnx'));
    // Class scores from the untapped model in a session of its own; the activity from the tapped model on this one image.
    const buf = new Float32Array(x.length);
    for (let row = 0; row < g.rows; row++) {
      for (let col = 0; col < g.cols; col++) {
        occludeInto(x, [1, 64, 64], g, row, col, buf);
        const out = await session.run({ input: new ort.Tensor('float32', buf.slice(), [1, 1, 64, 64]) });
        const p = softmax(out.logits.data as Float32Array);
        const i = row * g.cols + col;
        expect(r.pClass[i]).toBeCloseTo(p[2], 5);
        expect(r.top1[i]).toBe(p.indexOf(Math.max(...p)));
        const acts = (await zf.forward(buf.slice(), 1, ['relu4'])).relu4.data as Float32Array;
        const plane = acts.length / 24;
        let sum = 0;
        for (let j = 5 * plane; j < 6 * plane; j++) sum += acts[j];
        expect(r.activity[i]).toBeCloseTo(sum, 3);
      }
    }
    await session.release();
  }, 60_000);

  it('names a class outside the model’s range', async () => {
    await expect(runOcclusion(zf, image(64 * 64, 1), 'x', { targetClass: 9 })).rejects.toThrow(/class 9 is outside 0…4/);
  });
});

describe('strongestMaps', () => {
  it('gives each tensor\'s strongest map from one pass, as strongestMap does one tensor at a time', async () => {
    const x = image(64 * 64, 5);
    const tensors = ['relu1', 'relu3', 'relu5', 'relu1'];
    const all = await strongestMaps(zf, x, tensors);
    expect(all).toHaveLength(4);
    for (const [i, t] of tensors.entries()) expect(all[i]).toEqual(await strongestMap(zf, x, t));
    // A map of the layer, its maximum.
    const relu3 = (await zf.forward(x, 1, ['relu3'])).relu3;
    expect(all[1].value).toBe(Math.max(...(relu3.data as Float32Array)));
  });
});

describe('faithfulness', () => {
  it('topMassMask picks the largest Σ|v| pixels (naive sort)', () => {
    const dims = [2, 5, 6] as const;
    const v = image(60, 7);
    const mask = topMassMask(v, dims, 7);
    const mass = Array.from({ length: 30 }, (_, i) => Math.abs(v[i]) + Math.abs(v[30 + i]));
    const want = new Set(mass.map((m, i) => [m, i] as const).sort((a, b) => b[0] - a[0]).slice(0, 7).map(([, i]) => i));
    expect([...mask].flatMap((m, i) => (m ? [i] : []))).toEqual([...want].sort((a, b) => a - b));
  });

  it('randomSquares stay inside the receptive field box and the input, and repeat for a seed', () => {
    const box = { y0: 10, y1: 40, x0: 3, x1: 20 };
    const a = randomSquares(box, 8, 64, 64, 50, 4);
    for (const [y, x] of a) {
      expect(y).toBeGreaterThanOrEqual(10);
      expect(y + 8).toBeLessThanOrEqual(40);
      expect(x).toBeGreaterThanOrEqual(3);
      expect(x + 8).toBeLessThanOrEqual(20);
    }
    expect(randomSquares(box, 8, 64, 64, 50, 4)).toEqual(a);
    expect(new Set(a.map((p) => p.join())).size).toBeGreaterThan(5);
  });

  it('measures the unit with its projected pixels and random squares occluded', async () => {
    const x = image(64 * 64, 5);
    const r = await runFaithfulness(zf, x, 'x', 'faith', { layer: 'conv2', channel: 3, size: 8, trials: 4, seed: 2 });
    expect(r.tensor).toBe('relu2');
    expect(r.area).toBe(64);
    expect(r.random).toHaveLength(4);
    expect([...r.maskPixels].filter((v) => v === 255)).toHaveLength(64);
    // The unoccluded value is the projected activation a[c, p] (the map's argmax).
    const acts = (await zf.forward(x, 1, ['relu2'])).relu2.data as Float32Array;
    const [, , h, w] = [1, 16, 8, 8];
    const [py, px] = r.position;
    expect(r.value).toBeCloseTo(acts[3 * h * w + py * w + px], 5);
    expect(r.value).toBeCloseTo(Math.max(...acts.subarray(3 * h * w, 4 * h * w)), 6);
    // The projected occlusion, re-run by hand.
    const occluded = Float32Array.from(x, (v, i) => (r.maskPixels[i] ? 0 : v));
    const again = (await zf.forward(occluded, 1, ['relu2'])).relu2.data as Float32Array;
    expect(r.projected).toBeCloseTo(again[3 * h * w + py * w + px], 5);
    expect(r.projectedDrop).toBeCloseTo(r.value - r.projected, 6);
  }, 30_000);
});
