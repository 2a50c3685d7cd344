// The compiled (GPU-path) projections against the TypeScript engine on a full-width model: ZF with
// the paper's Fig. 3 widths (96-256-384-384-256, fc 4096-4096-1000), at 96×96 instead of 224×224 so
// it stays a few seconds. The narrow test models hide what only real widths exercise (hundreds of
// channels per transposed convolution, the compiled path's batch buckets); `npm run bench` measures
// the same at full size against PyTorch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseModel, serializeModel } from '../onnx/model.ts';
import { tapModel } from '../onnx/tap.ts';
import { seededRandom } from '../onnx/seeded-random.ts';
import { zfFullWidthModel } from '../onnx/test-models.ts';
import type { Projection, ProjectionRequest } from '../deconv/index.ts';
import { cosine } from '../deconv/testing.ts';
import { nodeRuntimeHost } from './launch-node.ts';
import { chooseProvider } from './provider.ts';

const SIZE = 96;

/** Fig. 3 of the paper at SIZE: 96 → 46 → 23 → 10 → 5 → 5 → 5 → 2 (at 224: 110, 55, 26, 13, 6). */
const zfFullWidth = () => zfFullWidthModel(SIZE);

const host = nodeRuntimeHost();
const cpu = chooseProvider('cpu');
const rnd = seededRandom(224);
const x = Float32Array.from({ length: 3 * SIZE * SIZE }, () => rnd() * 2 - 1);

beforeAll(async () => {
  // Every layer and switch tapped, as ModelSession.open loads a model for projections.
  const bytes = serializeModel(tapModel(parseModel(zfFullWidth(), 'zf.onnx'), 'all').model);
  await host.load('engine', bytes, { ...cpu, deconv: 'engine' });
  await host.load('compiled', bytes, { ...cpu, deconv: 'compiled' });
  await host.load('auto', bytes, { ...cpu, deconv: 'auto' });
  for (const key of ['engine', 'compiled', 'auto']) await host.run(key, { input: { dims: [1, 3, SIZE, SIZE], data: x } }, [], 'x');
}, 60_000);
afterAll(() => host.close());

/** The strongest `count` maps of a layer (by their maximum) for the image kept as 'x'. */
async function strongest(layer: string, count: number): Promise<number[]> {
  const out = await host.run('engine', { input: { dims: [1, 3, SIZE, SIZE], data: x } }, [layer]);
  const { dims, data } = out[layer];
  const hw = dims[2] * dims[3];
  const maxima = Array.from({ length: dims[1] }, (_, c) => {
    let best = -Infinity;
    for (let i = c * hw; i < (c + 1) * hw; i++) best = Math.max(best, (data as Float32Array)[i]);
    return [c, best] as const;
  });
  return maxima.sort((a, b) => b[1] - a[1]).slice(0, count).map(([c]) => c);
}

function expectSame(engine: Projection[], compiled: Projection[]): void {
  expect(compiled).toHaveLength(engine.length);
  engine.forEach((e, k) => {
    const c = compiled[k];
    const what = `${e.layer} map ${e.channel} ${e.mode}`;
    expect(c.channel, what).toBe(e.channel);
    expect(c.position, what).toEqual(e.position);
    expect(c.value, what).toBeCloseTo(e.value, 4);
    expect(c.dims, what).toEqual([3, SIZE, SIZE]);
    let maxAbs = 0;
    for (const v of e.data) maxAbs = Math.max(maxAbs, Math.abs(v));
    expect(maxAbs, `${what}: the engine's projection is zero`).toBeGreaterThan(0);
    expect(cosine(c.data, e.data), what).toBeGreaterThanOrEqual(0.9999);
  });
}

describe('compiled projections on a full-width ZF (96×96 input)', () => {
  // relu5: the last conv layer (what the paper shows most); relu3: one in the middle.
  it.each(['relu5', 'relu3'])('%s: the same positions, values and projections as the TypeScript engine', async (layer) => {
    // Five singles and one whole map: six requests, so the compiled path runs its batch-of-8 graph.
    const maps = await strongest(layer, 5);
    const requests: ProjectionRequest[] = [
      ...maps.map((channel) => ({ layer, channel, mode: 'single' as const })),
      { layer, channel: maps[0], mode: 'map' },
    ];
    const engine = await host.project('engine', 'x', requests);
    const compiled = await host.project('compiled', 'x', requests);
    expectSame(engine, compiled);
    expect(engine.every((p) => p.backend === 'engine') && compiled.every((p) => p.backend === 'compiled')).toBe(true);
    // onnxruntime's kernels round differently: bit-identical results would mean the compiled path fell back to the engine.
    expect(compiled.some((c, k) => c.data.some((v, i) => v !== engine[k].data[i]))).toBe(true);
    // One request alone goes through the batch-of-1 graph.
    expectSame([engine[0]], await host.project('compiled', 'x', [requests[0]]));
  }, 60_000);

  it("'auto' on CPU: the engine where the reverse path is small, compiled where it is large, with the same results", async () => {
    // relu1's path is conv1 alone (≈ 30 M dense multiply-adds at 96×96); relu5's ≈ 170 M: past the 100 M line.
    const [small, large] = [await strongest('relu1', 1), await strongest('relu5', 1)];
    const [p1] = await host.project('auto', 'x', [{ layer: 'relu1', channel: small[0], mode: 'single' }]);
    const [p5] = await host.project('auto', 'x', [{ layer: 'relu5', channel: large[0], mode: 'single' }]);
    expect([p1.backend, p5.backend]).toEqual(['engine', 'compiled']);
    expectSame(await host.project('engine', 'x', [{ layer: 'relu5', channel: large[0], mode: 'single' }]), [p5]);
  }, 60_000);
});
