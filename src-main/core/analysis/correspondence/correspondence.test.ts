// Correspondence (DESIGN §3) over real onnxruntime and models built here: the sign(0) rule on a
// model that ignores part of its input, Δ = 0 for identical ε, the pair average against a naive
// loop over plain onnxruntime runs, the random control's seed and boxes, and bad input.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartBox, PartSpec } from '../../../common/api-correspondence.ts';
import { GraphBuilder, seededRandom } from '../../onnx/index.ts';
import type { RuntimeHost } from '../../runtime/host.ts';
import { nodeRuntimeHost } from '../../runtime/launch-node.ts';
import { chooseProvider } from '../../runtime/provider.ts';
import { ModelSession } from '../../model/model-session.ts';
import { decodeImage, preprocess } from '../../images/index.ts';
import { drawRandomBoxes } from './correspondence.ts';
import { maskInto, randomBoxLike, signDisagreement } from './delta.ts';
import { runCorrespondence } from './run.ts';

const S = 16;
let tmp: string;
let host: RuntimeHost;
let blind: ModelSession;
let net: ModelSession;

/**
 * Sees only the top-left 8×8 quadrant: a full-image conv whose weights are 0 elsewhere, then a
 * hidden fc layer. A box outside the quadrant changes no feature at all.
 */
function blindModel(): Uint8Array {
  const b = new GraphBuilder({ seed: 5 });
  let h = b.input('input', ['N', 1, S, S]);
  const rnd = seededRandom(11);
  const C = 24;
  const w = new Float32Array(C * S * S);
  for (let o = 0; o < C; o++) for (let y = 0; y < S / 2; y++) for (let x = 0; x < S / 2; x++) w[o * S * S + y * S + x] = (rnd() * 2 - 1) * 0.2;
  h = b.conv(h, { outChannels: C, kernel: S, name: 'conv1', weights: w });
  h = b.relu(h, 'relu1');
  h = b.flatten(h, 1, 'flatten');
  h = b.gemm(h, { out: 16, name: 'fc1' });
  h = b.relu(h, 'relu2');
  h = b.gemm(h, { out: 3, name: 'logits' });
  b.output(h);
  return b.build();
}

/** A small convnet whose activation layers are also graph outputs, so plain onnxruntime can read them. */
function tappedNet(): Uint8Array {
  const b = new GraphBuilder({ seed: 7 });
  let h = b.input('input', ['N', 1, S, S]);
  h = b.conv(h, { outChannels: 8, kernel: 3, pad: 1, name: 'conv1' });
  h = b.relu(h, 'relu1');
  h = b.maxPool(h, { kernel: 2, stride: 2, name: 'pool1' });
  h = b.conv(h, { outChannels: 12, kernel: 3, pad: 1, name: 'conv2' });
  const conv = b.relu(h, 'relu2');
  h = b.flatten(conv, 1, 'flatten');
  h = b.gemm(h, { out: 32, name: 'fc1' });
  const fc = b.relu(h, 'relu3');
  h = b.gemm(fc, { out: 5, name: 'logits' });
  b.output(h);
  b.output(conv);
  b.output(fc);
  return b.build();
}

function image(seed: number): Float32Array {
  const rnd = seededRandom(seed);
  return Float32Array.from({ length: S * S }, () => rnd() * 2 - 1);
}

/** Parts over in-memory images: the "path" is the seed of the image. */
const part = (name: string, boxes: [number, PartBox][]): PartSpec => ({ name, boxes: boxes.map(([seed, box]) => ({ image: String(seed), box })) });
const load = async (p: string) => image(Number(p));

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-correspondence-'));
  writeFileSync(path.join(tmp, 'blind.onnx'), blindModel());
  writeFileSync(path.join(tmp, 'net.onnx'), tappedNet());
  host = nodeRuntimeHost();
  blind = await ModelSession.open(path.join(tmp, 'blind.onnx'), host, chooseProvider('cpu'));
  net = await ModelSession.open(path.join(tmp, 'net.onnx'), host, chooseProvider('cpu'));
}, 60_000);

afterAll(async () => {
  await host?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('signDisagreement', () => {
  it('averages the share of differing signs over unordered pairs, 0 a sign of its own', () => {
    const s = (...v: number[]) => Int8Array.from(v);
    // Pairs (0,1): 1 of 3 differ; (0,2): 1 of 3 (0 vs +1); (1,2): 2 of 3.
    expect(signDisagreement([s(1, 0, -1), s(1, 1, -1), s(0, 0, -1)])).toBeCloseTo((1 / 3 + 1 / 3 + 2 / 3) / 3, 12);
    expect(signDisagreement([s(0, 0), s(0, 0)])).toBe(0);
    expect(signDisagreement([s(0, 0), s(1, -1)])).toBe(1);
    expect(() => signDisagreement([s(1)])).toThrow(/at least two images/);
  });
});

describe('runCorrespondence', () => {
  it('defaults to the last conv layer and the last hidden fc layer, after their ReLUs', async () => {
    const r = await runCorrespondence(net, [part('a', [[1, [0, 0, 4, 4]], [2, [2, 2, 4, 4]]])], load, { draws: 1 });
    expect(r.layers).toEqual(['relu2', 'relu3']);
    expect(Object.keys(r.parts[0].delta)).toEqual(['relu2', 'relu3']);
  });

  it('a box the model ignores changes nothing: ε = 0 everywhere, and zeros agree (Δ = 0)', async () => {
    const r = await runCorrespondence(blind, [part('ignored', [[1, [10, 10, 4, 5]], [2, [8, 9, 6, 6]], [3, [12, 0, 4, 16]]])], load, { draws: 2 });
    expect(r.layers).toEqual(['relu1', 'relu2']);
    expect(r.parts[0].delta).toEqual({ relu1: 0, relu2: 0 });
  });

  it('a zero change disagrees with a non-zero one: Δ = the share of dimensions the seen box changed', async () => {
    // Image 1's box is where the model is blind (ε₁ = 0); image 2's covers the quadrant it sees.
    const r = await runCorrespondence(blind, [part('mixed', [[1, [12, 12, 4, 4]], [2, [0, 0, 6, 6]]])], load, { draws: 0 });
    const x = image(2);
    const masked = new Float32Array(x.length);
    maskInto(x, [1, S, S], [0, 0, 6, 6], masked);
    for (const layer of ['relu1', 'relu2']) {
      const a = (await blind.forward(x, 1, [layer]))[layer].data as Float32Array;
      const b = (await blind.forward(masked, 1, [layer]))[layer].data as Float32Array;
      const changed = a.reduce((n, v, d) => n + (v !== b[d] ? 1 : 0), 0);
      expect(changed).toBeGreaterThan(0);
      expect(changed).toBeLessThan(a.length);
      expect(r.parts[0].delta[layer]).toBeCloseTo(changed / a.length, 12);
    }
  });

  it('identical ε across images give Δ = 0; different images do not', async () => {
    const same = await runCorrespondence(net, [part('same', [[4, [3, 5, 6, 7]], [4, [3, 5, 6, 7]], [4, [3, 5, 6, 7]]])], load, { draws: 0 });
    expect(same.parts[0].delta).toEqual({ relu2: 0, relu3: 0 });
    const other = await runCorrespondence(net, [part('other', [[4, [3, 5, 6, 7]], [5, [3, 5, 6, 7]]])], load, { draws: 0 });
    expect(other.parts[0].delta.relu2).toBeGreaterThan(0);
  });

  it('equals a naive loop over plain onnxruntime runs, one image at a time', async () => {
    const boxes: [number, PartBox][] = [[21, [2, 3, 5, 6]], [22, [4, 4, 5, 6]], [23, [0, 8, 5, 6]], [24, [9, 1, 5, 6]]];
    const r = await runCorrespondence(net, [part('p', boxes)], load, { draws: 0 });
    const session = await ort.InferenceSession.create(path.join(tmp, 'net.onnx'));
    const run = async (x: Float32Array) => session.run({ input: new ort.Tensor('float32', x, [1, 1, S, S]) });
    const eps: Record<string, number[][]> = { relu2: [], relu3: [] };
    for (const [seed, box] of boxes) {
      const x = image(seed);
      const xm = x.slice();
      const [y0, x0, h, w] = box;
      for (let y = y0; y < y0 + h; y++) for (let xx = x0; xx < x0 + w; xx++) xm[y * S + xx] = 0;
      const a = await run(x);
      const b = await run(xm);
      for (const layer of ['relu2', 'relu3']) {
        const fa = a[layer].data as Float32Array;
        const fb = b[layer].data as Float32Array;
        eps[layer].push(Array.from(fa, (v, d) => v - fb[d]));
      }
    }
    await session.release();
    for (const layer of ['relu2', 'relu3']) {
      let sum = 0;
      let pairs = 0;
      const e = eps[layer];
      for (let i = 0; i < e.length; i++) {
        for (let j = i + 1; j < e.length; j++) {
          let differ = 0;
          for (let d = 0; d < e[i].length; d++) if (Math.sign(e[i][d]) !== Math.sign(e[j][d])) differ++;
          sum += differ / e[i].length;
          pairs++;
        }
      }
      expect(pairs).toBe(6);
      expect(r.parts[0].delta[layer]).toBeCloseTo(sum / pairs, 10);
      expect(r.parts[0].delta[layer]).toBeGreaterThan(0);
    }
  }, 30_000);

  it('the random control repeats for a seed (mean and population std of its draws) and changes with it', async () => {
    const parts = [part('a', [[1, [2, 2, 5, 5]], [2, [3, 3, 5, 5]], [3, [4, 4, 5, 5]]]), part('b', [[4, [0, 0, 8, 3]], [5, [1, 9, 8, 3]]])];
    const r1 = await runCorrespondence(net, parts, load, { draws: 6, seed: 42 });
    const r2 = await runCorrespondence(net, parts, load, { draws: 6, seed: 42 });
    const r3 = await runCorrespondence(net, parts, load, { draws: 6, seed: 43 });
    expect(r1.random).toEqual(r2.random);
    expect(r1.random).toMatchObject({ draws: 6, seed: 42 });
    expect(r3.random.delta.relu2.mean).not.toBe(r1.random.delta.relu2.mean);
    // The control is the parts' Δ with the drawn boxes: recompute draw by draw from the same boxes.
    const drawn = drawRandomBoxes(parts.map((p) => ({ boxes: p.boxes.map((b) => b.box) })), S, S, 6, 42);
    const perDraw: number[] = [];
    const firstPart: number[] = [];
    for (const boxesOfDraw of drawn) {
      const moved = parts.map((p, i) => ({ name: p.name, boxes: p.boxes.map((b, j) => ({ image: b.image, box: boxesOfDraw[i][j] })) }));
      const d = await runCorrespondence(net, moved, load, { draws: 0 });
      perDraw.push((d.parts[0].delta.relu2 + d.parts[1].delta.relu2) / 2);
      firstPart.push(d.parts[0].delta.relu2);
    }
    const stats = (v: number[]) => {
      const mean = v.reduce((a, x) => a + x, 0) / v.length;
      return { mean, std: Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / v.length) };
    };
    const all = stats(perDraw);
    expect(r1.random.delta.relu2.mean).toBeCloseTo(all.mean, 12);
    expect(r1.random.delta.relu2.std).toBeCloseTo(all.std, 12);
    expect(all.std).toBeGreaterThan(0);
    // Each part's own control: its Δ over the same draws.
    const own = stats(firstPart);
    expect(r1.parts[0].random.relu2.mean).toBeCloseTo(own.mean, 12);
    expect(r1.parts[0].random.relu2.std).toBeCloseTo(own.std, 12);
  }, 30_000);

  it('random boxes keep their size, lie inside the input and reach every corner position', () => {
    const rnd = seededRandom(3);
    const seen = new Set<string>();
    for (let k = 0; k < 4000; k++) {
      const [y, x, h, w] = randomBoxLike([5, 7, 13, 10], 16, 12, rnd);
      expect([h, w]).toEqual([13, 10]);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(y + h).toBeLessThanOrEqual(16);
      expect(x + w).toBeLessThanOrEqual(12);
      seen.add(`${y},${x}`);
    }
    // 4 × 3 top-left positions keep a 13×10 box inside 16×12: all of them are drawn.
    expect(seen.size).toBe(12);
    expect(randomBoxLike([0, 0, 16, 12], 16, 12, rnd)).toEqual([0, 0, 16, 12]);
    const a = drawRandomBoxes([{ boxes: [[0, 0, 4, 4], [1, 1, 2, 9]] }], 16, 16, 5, 9);
    expect(drawRandomBoxes([{ boxes: [[0, 0, 4, 4], [1, 1, 2, 9]] }], 16, 16, 5, 9)).toEqual(a);
    expect(a).toHaveLength(5);
  });

  it('reports progress over every input and stops when cancelled', async () => {
    const parts = [part('a', [[1, [2, 2, 5, 5]], [2, [3, 3, 5, 5]]])];
    const seen: [number, number][] = [];
    await runCorrespondence(net, parts, load, { draws: 3, onProgress: (d, t) => seen.push([d, t]) });
    expect(seen.at(-1)).toEqual([10, 10]);
    const ac = new AbortController();
    ac.abort();
    await expect(runCorrespondence(net, parts, load, { draws: 3, signal: ac.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('names the part and image of a box outside the input, a part of one image, an image that does not decode', async () => {
    await expect(runCorrespondence(net, [part('heel', [[1, [0, 0, 4, 4]], [2, [14, 0, 4, 4]]])], load))
      .rejects.toThrow('part "heel", image "2": box [14, 0, 4, 4] reaches outside the 16×16 model input');
    await expect(runCorrespondence(net, [part('collar', [[1, [0, 0, 4, 4]]])], load)).rejects.toThrow(/part "collar" has 1 image; .*at least two/);
    const broken = path.join(tmp, 'broken.png');
    writeFileSync(broken, 'not a png');
    const decode = async (p: string) => (p === broken ? preprocess(await decodeImage(p, { channels: 1 }), net.info.preprocessing) : image(Number(p)));
    const err = await runCorrespondence(net, [part('ok', [[1, [0, 0, 4, 4]], [2, [0, 0, 4, 4]]]), { name: 'handle', boxes: [{ image: '1', box: [0, 0, 4, 4] }, { image: broken, box: [0, 0, 4, 4] }] }], decode)
      .catch((e: Error) => e);
    expect(err).toMatchObject({ code: expect.stringMatching(/^IMAGE_/), details: { part: 'handle', image: broken } });
    expect((err as Error).message).toContain(`part "handle", image "${broken}": `);
    await expect(runCorrespondence(net, [part('a', [[1, [0, 0, 4, 4]], [2, [0, 0, 4, 4]]])], load, { layers: ['nope'] })).rejects.toThrow(/has no layer "nope"/);
  });
});
