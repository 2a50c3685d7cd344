import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, preprocess, transformPlanes } from '../../images/index.ts';
import { seededRandom } from '../../onnx/index.ts';
import { nodeRuntimeHost } from '../../runtime/launch-node.ts';
import { chooseProvider } from '../../runtime/provider.ts';
import { defaultPaths } from '../../model/resources.ts';
import { ModelSession, softmax } from '../../model/model-session.ts';
import { sweepBatchSize, sweepForward, layerDistances, sweepImage, sweepImages, type SweepForward, type SweepSpec } from './index.ts';
import { circularModel, hostForward } from './testing.ts';

const RELU1 = '/relu1/Relu_output_0';
const RELU7 = '/relu7/Relu_output_0';

function roll(x: Float32Array, H: number, W: number, dy: number, dx: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) out[((y + dy + H) % H) * W + ((xx + dx + W) % W)] = x[y * W + xx];
  return out;
}

describe('sweepImage on a circular model built in the test', () => {
  // Content inside a 4-pixel zero border: translating by up to 4 px (fill 0) is a circular shift.
  const x = new Float32Array(16 * 16);
  const rnd = seededRandom(9);
  for (let y = 4; y < 12; y++) for (let xx = 4; xx < 12; xx++) x[y * 16 + xx] = rnd() * 2 - 1;
  const thetas = [-4, -3, -2, -1, 0, 1, 2, 3, 4];
  const spec = (transform: SweepSpec['transform'], layers: string[]): SweepSpec => ({
    transform, thetas, layers, outputIsProbability: false, dims: [1, 16, 16], batchSize: 4,
  });

  it('the global-average-pooled top layer is invariant to circular shifts, the strided layer is not', async () => {
    const host = nodeRuntimeHost();
    try {
      const fetch = await hostForward(host, 'circular', circularModel(), [1, 16, 16]);
      // The premise: these translations are circular shifts of this image.
      expect(transformPlanes(x, 1, 16, 16, 'translate-x', 3)).toEqual(roll(x, 16, 16, 0, 3));
      for (const transform of ['translate-x', 'translate-y'] as const) {
        const layers = ['gap', 'strided', 'relu1'];
        const s = await sweepImage(x, 2, layerDistances(fetch, layers, 'logits'), spec(transform, layers));
        thetas.forEach((t, i) => {
          // Averages of the same values in another order: equal up to float rounding.
          expect(s.normalized.gap[i], `gap at ${t}`).toBeLessThan(1e-6);
          if (t !== 0) {
            expect(s.normalized.strided[i], `strided at ${t}`).toBeGreaterThan(0.05);
            expect(s.normalized.relu1[i], `relu1 at ${t}`).toBeGreaterThan(0.05);
          }
        });
        // Invariant features, invariant output.
        for (const p of s.pTrue) expect(p).toBeCloseTo(s.pTrue[4], 6);
        expect(s.trueIndex).toBe(2);
        expect(s.trueFrom).toBe('folder');
      }
    } finally {
      await host.close();
    }
  });
});

describe('sweepImage on the demo model (zf-mini)', () => {
  const host = nodeRuntimeHost();
  let model: ModelSession;
  let images: Float32Array[];
  const samples = defaultPaths().images;
  const files = ['trouser/00002.png', 'bag/00018.png', 'sneaker/00009.png', 't-shirt-top/00019.png'];

  // The app's path: distances computed in the model's graph; and the JavaScript reduction.
  let forward: SweepForward;
  let jsForward: SweepForward;

  beforeAll(async () => {
    model = await ModelSession.open(defaultPaths().model, host, chooseProvider('cpu'));
    forward = await sweepForward(model, [RELU1, RELU7]);
    jsForward = layerDistances((b, n, f) => model.forward(b, n, f), [RELU1, RELU7], 'logits');
    images = await Promise.all(files.map(async (f) => preprocess(await decodeImage(path.join(samples, f), { channels: 1 }), model.info.preprocessing)));
  });
  afterAll(() => host.close());

  const baseSpec = (transform: SweepSpec['transform'], thetas: number[]): SweepSpec => ({
    transform, thetas, layers: [RELU1, RELU7], outputIsProbability: model.outputIsProbability, dims: [1, 64, 64],
  });

  it('identity transforms give exactly zero distance; rotation by 360° equals 0°', async () => {
    for (const [kind, thetas] of [['translate-x', [0, 3]], ['translate-y', [-2, 0]], ['scale', [1, 1.2]], ['rotate', [0, 45, 360, 720]]] as const) {
      const s = await sweepImage(images[0], null, forward, baseSpec(kind, [...thetas]));
      thetas.forEach((t, i) => {
        const identity = kind === 'scale' ? t === 1 : t % 360 === 0;
        for (const l of [RELU1, RELU7]) {
          if (identity) {
            expect(s.distance[l][i], `${kind} ${t} ${l}`).toBe(0);
            expect(s.normalized[l][i]).toBe(0);
          } else expect(s.distance[l][i], `${kind} ${t} ${l}`).toBeGreaterThan(0);
        }
      });
      if (kind === 'rotate') {
        expect(s.pTrue[2]).toBe(s.pTrue[0]);
        expect(s.top1[2]).toBe(s.top1[0]);
        expect(s.pTrue[3]).toBe(s.pTrue[0]);
      }
    }
  });

  it('matches an independent one-image-at-a-time computation of d, d̂, P(true class) and top-1 (graph and JavaScript distances)', async () => {
    const thetas = [-7.5, -2, 0.5, 3, 6];
    for (const f of [forward, jsForward]) await matchesReference(f, thetas);
  });

  async function matchesReference(f: SweepForward, thetas: number[]): Promise<void> {
    // Batches of 3: x and two θ each, so the reference row repeats across batches.
    const s = await sweepImage(images[1], 8, f, { ...baseSpec('translate-y', thetas), batchSize: 3 });
    const ref = await model.forward(images[1], 1, [RELU1, RELU7]);
    for (let i = 0; i < thetas.length; i++) {
      const xt = transformPlanes(images[1], 1, 64, 64, 'translate-y', thetas[i]);
      const out = await model.forward(xt, 1, [RELU1, RELU7, 'logits']);
      for (const l of [RELU1, RELU7]) {
        const a = out[l].data as Float32Array;
        const b = ref[l].data as Float32Array;
        let d2 = 0;
        let n2 = 0;
        for (let k = 0; k < a.length; k++) {
          d2 += (a[k] - b[k]) ** 2;
          n2 += b[k] ** 2;
        }
        // Float32 sums in the graph: agreement to 2e-5 relative.
        const close = (got: number, want: number) => expect(Math.abs(got - want)).toBeLessThan(2e-5 * want + 1e-7);
        close(s.distance[l][i], Math.sqrt(d2));
        close(s.normalized[l][i], Math.sqrt(d2) / Math.sqrt(n2));
        close(s.norm[l], Math.sqrt(n2));
      }
      const p = softmax(out.logits.data as Float32Array);
      expect(s.pTrue[i]).toBeCloseTo(p[8], 5);
      expect(s.top1[i]).toBe(p.indexOf(Math.max(...p)));
    }
  }

  it('layer-1 distance grows with |translation| for small θ', async () => {
    for (const x of images) {
      for (const kind of ['translate-x', 'translate-y'] as const) {
        const s = await sweepImage(x, null, forward, baseSpec(kind, [-3, -2, -1, 0, 1, 2, 3]));
        const d = s.distance[RELU1];
        expect(d[3]).toBe(0);
        expect(d[4]).toBeGreaterThan(0);
        expect(d[5]).toBeGreaterThan(d[4]);
        expect(d[6]).toBeGreaterThan(d[5]);
        expect(d[2]).toBeGreaterThan(0);
        expect(d[1]).toBeGreaterThan(d[2]);
        expect(d[0]).toBeGreaterThan(d[1]);
      }
    }
  });

  it('takes the true class from the folder name, else the top-1 class of the untransformed image', async () => {
    const spec = { ...baseSpec('scale', [1, 1.4]), labels: model.info.labels, numClasses: 10, label: (i: number) => model.label(i) };
    const items = [
      { path: 'bag/00018.png', className: 'bag' },
      { path: 'x.png', className: 'not-a-class' },
      { path: 'y.png', className: null },
    ];
    const done: number[] = [];
    const results = await sweepImages(items, async () => images[1], forward, { ...spec, onImage: (n) => done.push(n) });
    expect(done).toEqual([1, 2, 3]);
    expect(results[0]).toMatchObject({ path: 'bag/00018.png', trueIndex: 8, trueClass: 'Bag', trueFrom: 'folder' });
    const top = (await model.classify(images[1])).probabilities;
    const best = top.indexOf(Math.max(...top));
    for (const r of results.slice(1)) {
      expect(r).toMatchObject({ trueIndex: best, trueFrom: 'prediction' });
      expect(r.pTrue[0]).toBeCloseTo(top[best], 6);
    }
  });

  it('stops with CANCELLED when the signal is aborted', async () => {
    const c = new AbortController();
    c.abort();
    await expect(sweepImage(images[0], null, forward, { ...baseSpec('rotate', [0, 10]), signal: c.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});

describe('sweepBatchSize', () => {
  it('one pass per image on a small input; about four on a real-size one, each repeating x; never over 64', () => {
    expect(sweepBatchSize(24, 64 * 64)).toBe(25);
    expect(sweepBatchSize(100, 64 * 64)).toBe(64);
    expect(sweepBatchSize(24, 3 * 224 * 224)).toBe(7);
    expect(Math.ceil(24 / (sweepBatchSize(24, 3 * 224 * 224) - 1))).toBe(4);
    expect(sweepBatchSize(2, 3 * 224 * 224)).toBe(5);
    expect(sweepBatchSize(1000, 3 * 224 * 224)).toBe(64);
  });
});
