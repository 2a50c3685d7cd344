import { afterAll, describe, expect, it } from 'vitest';
import { distanceOutputs, GraphBuilder, mixedTypesTestModel, parseModel, seededRandom, serializeModel, withDistances, withOutputs } from '../../onnx/index.ts';
import { nodeRuntimeHost } from '../../runtime/launch-node.ts';
import { chooseProvider } from '../../runtime/provider.ts';

function tinyModel(opset: number) {
  const b = new GraphBuilder({ opset, seed: 3 });
  let h = b.input('input', ['N', 1, 8, 8]);
  h = b.conv(h, { outChannels: 4, kernel: 3, pad: 1, name: 'conv' });
  h = b.relu(h, 'relu');
  h = b.flatten(h, 1, 'flat');
  h = b.gemm(h, { out: 5, name: 'fc' });
  h = b.relu(h, 'relu_fc');
  b.output(b.gemm(h, { out: 3, name: 'logits' }));
  return b.model();
}

describe('withDistances', () => {
  const host = nodeRuntimeHost();
  afterAll(() => host.close());

  for (const opset of [13, 18]) {
    it(`adds ‖F[r] − F[0]‖² and ‖F[0]‖² per layer that match a JavaScript reduction (opset ${opset})`, async () => {
      const model = tinyModel(opset);
      const layers = ['relu', 'relu_fc'];
      await host.load(`d${opset}`, serializeModel(withDistances(model, layers, opset)), chooseProvider('cpu'));
      await host.load(`o${opset}`, serializeModel(withOutputs(model, layers)), chooseProvider('cpu'));
      const rnd = seededRandom(opset);
      const n = 5;
      const x = Float32Array.from({ length: n * 64 }, () => rnd() * 2 - 1);
      x.copyWithin(128, 0, 64); // row 2 equals row 0: distance exactly 0
      const names = distanceOutputs(layers);
      const feeds = { input: { dims: [n, 1, 8, 8], data: x } };
      const got = await host.run(`d${opset}`, feeds, names.flatMap((m) => [m.d2, m.n2]));
      const acts = await host.run(`o${opset}`, feeds, layers);
      layers.forEach((l, i) => {
        const a = acts[l].data as Float32Array;
        const D = a.length / n;
        const d2 = got[names[i].d2].data as Float32Array;
        expect(d2).toHaveLength(n);
        for (let r = 0; r < n; r++) {
          let s = 0;
          for (let k = 0; k < D; k++) s += (a[r * D + k] - a[k]) ** 2;
          expect(Math.abs(d2[r] - s)).toBeLessThan(1e-5 * s + 1e-9);
        }
        expect(d2[0]).toBe(0);
        expect(d2[2]).toBe(0);
        let n2 = 0;
        for (let k = 0; k < D; k++) n2 += a[k] ** 2;
        expect((got[names[i].n2].data as Float32Array)[0]).toBeCloseTo(n2, 4);
      });
    });
  }

  it('names a tensor the model does not produce', () => {
    expect(() => withOutputs(tinyModel(13), ['nope'])).toThrow(/"nope"/);
    expect(() => withDistances(tinyModel(13), ['nope'], 13)).toThrow(/"nope"/);
  });

  it('names a layer that is not float, and sums float layers of a model without value_info', async () => {
    const model = parseModel(mixedTypesTestModel(), 'mixed.onnx');
    expect(() => withDistances(model, ['as_int'], 13)).toThrow(/layer "as_int" is not a float tensor/);
    await host.load('mixed', serializeModel(withDistances(model, ['as_float', 'leaky'], 13)), chooseProvider('cpu'));
    const names = distanceOutputs(['as_float', 'leaky']);
    const got = await host.run('mixed', { x: { dims: [2, 1, 16, 16], data: new Float32Array(512).fill(0.5) } }, [names[0].d2, names[1].n2]);
    expect(Array.from(got[names[0].d2].data as Float32Array)).toEqual([0, 0]);
    expect(got[names[1].n2].type).toBe('float32');
  });
});
