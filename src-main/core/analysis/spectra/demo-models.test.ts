// The shipped demo models (the paper's fig. 6 (b) vs (c) in miniature): what holds by construction
// of their first layers, whatever training did to the weights.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeGraph, loadModelFile } from '../../onnx/index.ts';
import { packageRoot } from '../../model/resources.ts';
import { computeSpectra, convFilters, resolveConvLayer, spectraReport } from './index.ts';

async function report(name: string, layer?: string) {
  const file = path.join(packageRoot(), 'resources/models', name, `${name}.onnx`);
  const { model } = await loadModelFile(file);
  const graph = analyzeGraph(model, file);
  return { graph, r: await spectraReport(graph, { path: file, name }, layer) };
}

describe('demo model spectra', () => {
  it('alex-mini conv1 is 11×11 stride 4 (N = 64); zf-mini conv1 is 7×7 stride 2 (N = 32); both 32 gray filters', async () => {
    const alex = (await report('alex-mini')).r;
    const zf = (await report('zf-mini')).r;
    expect(alex).toMatchObject({ layer: '/conv1/Conv_output_0', kernel: [11, 11], stride: [4, 4], N: 64, channels: 1 });
    expect(zf).toMatchObject({ layer: '/conv1/Conv_output_0', kernel: [7, 7], stride: [2, 2], N: 32, channels: 1 });
    for (const r of [alex, zf]) {
      expect(r.filters).toHaveLength(32);
      expect(r.convLayers[0].activation).toBe('/relu1/Relu_output_0');
      for (const f of r.filters) {
        for (const v of [f.centroid, f.bands.low, f.bands.mid, f.bands.high, f.aliasingFraction]) {
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1);
        }
        expect(f.centroid).toBeLessThanOrEqual(Math.SQRT1_2);
        if (f.rms > 0) expect(f.bands.low + f.bands.mid + f.bands.high).toBeCloseTo(1, 9);
        expect(f.flags.includes('aliasing')).toBe(f.aliasingFraction > 0.5);
      }
      const s = r.summary;
      expect(s.dead).toBe(r.filters.filter((f) => f.rms < 0.01 * s.medianRms).length);
      expect(s.dominant).toBe(r.filters.filter((f) => f.rms > 3 * s.medianRms).length);
      expect(r.centroidHistogram.counts.reduce((a, b) => a + b, 0)).toBe(32 - s.dead);
    }
  });

  it('aliasing is 0 at stride 1 (zf-mini conv3) and, for the same weights, grows from stride 2 to stride 4', async () => {
    const { graph, r } = await report('zf-mini', '/conv3/Conv_output_0');
    expect(r.stride).toEqual([1, 1]);
    expect(r.filters.every((f) => f.aliasingFraction === 0)).toBe(true);
    expect(r.summary.aliasing).toBe(0);
    const conv = convFilters(graph, resolveConvLayer(graph, 'zf-mini'), 'zf-mini');
    const at4 = computeSpectra({ ...conv, stride: [4, 4] });
    const at2 = computeSpectra({ ...conv, stride: [2, 2] });
    at2.filters.forEach((f, k) => expect(at4.filters[k].aliasingFraction).toBeGreaterThanOrEqual(f.aliasingFraction));
    expect(at4.summary.meanAliasingFraction).toBeGreaterThan(at2.summary.meanAliasingFraction);
  });

  it('finds a conv layer by its node name too', async () => {
    const { r } = await report('alex-mini', '/conv2/Conv');
    expect(r).toMatchObject({ layer: '/conv2/Conv_output_0', kernel: [5, 5], channels: 32, N: 32 });
  });
});
