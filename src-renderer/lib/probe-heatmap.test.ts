import { describe, expect, it } from 'vitest';
import type { CheckpointProbeResult, ProbeCheckpointsResult } from '../../src-main/common/api-probe.ts';
import { cellColour, checkpointLabel, probeGrid, probeGridCaption, probeGridCsv, probeGridJson } from './probe-heatmap.ts';

const checkpoint = (name: string, epoch: number | null, acc: [number, number]): CheckpointProbeResult => ({
  file: `/ck/${name}`, name, epoch, model: name, images: 30, classes: 3, classNames: ['a', 'b', 'c'], folds: 2, lambda: 1, modelAccuracy: 0.9, chance: 0.4,
  layers: [
    { layer: '/conv1/Conv_output_0', tensor: '/relu1/Relu_output_0', features: 8, accuracy: acc[0], std: 0.05, foldAccuracies: [acc[0], acc[0]] },
    { layer: 'fc7', tensor: 'relu7', features: 16, accuracy: acc[1], std: 0.1, foldAccuracies: [acc[1], acc[1]] },
  ],
  skipped: [], ms: 1,
});
const result: ProbeCheckpointsResult = { checkpoints: [checkpoint('epoch-01.onnx', 1, [0.5, 0.6]), checkpoint('final.onnx', null, [0.55, 0.95])], ms: 2 };

describe('probe heatmap', () => {
  it('puts layers in rows and checkpoints in columns, with the grid\'s own range', () => {
    const g = probeGrid(result);
    expect(g.layers).toEqual(['/conv1/Conv_output_0', 'fc7']);
    expect(g.columns).toEqual(['epoch 1', 'final']);
    expect(g.accuracy).toEqual([[0.5, 0.55], [0.6, 0.95]]);
    expect(g.std).toEqual([[0.05, 0.05], [0.1, 0.1]]);
    expect([g.lo, g.hi]).toEqual([0.5, 0.95]);
    expect(checkpointLabel({ name: 'x.onnx', epoch: null })).toBe('x');
  });

  it('colours the lowest cell darkest and the highest brightest (inferno ends)', () => {
    const g = probeGrid(result);
    expect(cellColour(0.5, g)).toBe('rgb(0, 0, 4)');
    expect(cellColour(0.95, g)).toBe('rgb(252, 255, 164)');
    expect(cellColour(0.7, g)).not.toBe(cellColour(0.8, g));
  });

  it('exports one CSV row per layer and checkpoint, the CLI\'s JSON, and a caption with the range', () => {
    const csv = probeGridCsv(result).trim().split('\n');
    expect(csv).toEqual([
      'checkpoint,epoch,layer,tensor,features,accuracy,std,model_accuracy,chance',
      'epoch-01.onnx,1,/conv1/Conv_output_0,/relu1/Relu_output_0,8,0.5,0.05,0.9,0.4',
      'epoch-01.onnx,1,fc7,relu7,16,0.6,0.1,0.9,0.4',
      'final.onnx,,/conv1/Conv_output_0,/relu1/Relu_output_0,8,0.55,0.05,0.9,0.4',
      'final.onnx,,fc7,relu7,16,0.95,0.1,0.9,0.4',
    ]);
    const j = JSON.parse(probeGridJson(result));
    expect(j.checkpoints.map((c: { model: string; epoch: number | null }) => [c.model, c.epoch])).toEqual([['/ck/epoch-01.onnx', 1], ['/ck/final.onnx', null]]);
    expect(j.checkpoints[1].layers[1]).toMatchObject({ layer: 'fc7', accuracy: 0.95, foldAccuracies: [0.95, 0.95] });
    expect(probeGridCaption(result)[1]).toContain('lowest (50.0%, dark) to its highest (95.0%, bright)');
  });
});
