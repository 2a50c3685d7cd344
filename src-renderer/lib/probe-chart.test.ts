import { describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../src-main/common/api-probe.ts';
import { probeCaption, probeCsv, probeJson, probeSeries, shortLayerName } from './probe-chart.ts';

const result = (modelAccuracy: number | null): ProbeResult => ({
  model: 'm.onnx', images: 30, classes: 3, classNames: ['a', 'b', 'c'], folds: 2, lambda: 1, modelAccuracy, chance: 0.4,
  layers: [
    { layer: '/conv1/Conv_output_0', tensor: '/relu1/Relu_output_0', features: 8, accuracy: 0.5, std: 0.1, foldAccuracies: [0.4, 0.6] },
    { layer: 'fc,"7"', tensor: 'relu7', features: 16, accuracy: 0.95, std: 0.1, foldAccuracies: [0.85, 1] },
  ],
  skipped: [], ms: 1,
});

describe('probe chart', () => {
  it('shortens layer ids for the axis', () => {
    expect(shortLayerName('/conv1/Conv_output_0')).toBe('conv1/Conv');
    expect(shortLayerName('logits')).toBe('logits');
  });

  it('gives a ±std band clipped to [0, 1], the model line and chance', () => {
    const s = probeSeries(result(0.9));
    expect(s.labels).toEqual(['conv1/Conv', 'fc,"7"']);
    expect(s.upper[0]).toBeCloseTo(0.6, 12);
    expect(s.lower[0]).toBeCloseTo(0.4, 12);
    expect(s.upper[1]).toBe(1);
    expect(s.model).toEqual([0.9, 0.9]);
    expect(s.chance).toEqual([0.4, 0.4]);
    expect(probeSeries(result(null)).model).toBeNull();
    expect(probeCaption(result(null))[1]).toContain('not available');
  });

  it('exports CSV rows per layer (quoted where needed) and the CLI JSON', () => {
    const csv = probeCsv(result(0.9)).trim().split('\n');
    expect(csv[0]).toBe('layer,tensor,features,accuracy,std,fold_1,fold_2,model_accuracy,chance');
    expect(csv[1]).toBe('/conv1/Conv_output_0,/relu1/Relu_output_0,8,0.5,0.1,0.4,0.6,0.9,0.4');
    expect(csv[2]).toBe('"fc,""7""",relu7,16,0.95,0.1,0.85,1,0.9,0.4');
    const j = JSON.parse(probeJson(result(null)));
    expect(j).toMatchObject({ images: 30, classes: 3, folds: 2, lambda: 1, modelAccuracy: null, chance: 0.4 });
    expect(j.layers[1]).toEqual({ layer: 'fc,"7"', tensor: 'relu7', features: 16, accuracy: 0.95, std: 0.1, foldAccuracies: [0.85, 1] });
  });
});
