import { describe, expect, it } from 'vitest';
import type { EvolutionResult } from '../../src-main/common/api-evolution.ts';
import { accuracyCaption, accuracyText, checkpointLabel, evolutionJson, jumpCounts, jumps } from './evolution-figure.ts';

const tile = (checkpoint: number, image: string, value: number) => ({
  checkpoint, image, index: 0, position: [1, 2] as [number, number], value, box: { y0: 0, x0: 0, y1: 1, x1: 1 },
  patch: new Uint8Array(), projection: new Uint8Array(), projectionFull: new Uint8Array(),
});

const result: EvolutionResult = {
  folder: '/f', layer: 'conv1', tensor: 'relu1', dims: [8, 4, 4], images: 3, failed: 0, seed: 0, ms: 1,
  checkpoints: [
    { model: '/c/epoch-1.onnx', name: 'epoch-1.onnx', epoch: 1, accuracy: 0.5, scanned: 3 },
    { model: '/c/epoch-2.onnx', name: 'epoch-2.onnx', epoch: 2, accuracy: 0.8767, scanned: 0 },
    { model: '/c/final.onnx', name: 'final.onnx', epoch: null, accuracy: null, scanned: 3 },
  ],
  maps: [
    { channel: 5, entries: [tile(0, 'a.png', 1), tile(1, 'b.png', 2), tile(2, 'b.png', 3)] },
    { channel: 2, entries: [tile(0, 'a.png', 1), tile(1, 'a.png', 2), tile(2, 'a.png', 3)] },
  ],
};

describe('evolution figure', () => {
  it('marks a jump where the top image differs from the previous checkpoint', () => {
    expect(jumps([{ image: 'a' }, { image: 'b' }, { image: 'b' }, { image: 'a' }])).toEqual([false, true, false, true]);
    expect(jumpCounts(result)).toEqual([1, 0]);
  });

  it('names checkpoints and accuracies', () => {
    expect(checkpointLabel(result.checkpoints[1])).toBe('epoch 2');
    expect(checkpointLabel(result.checkpoints[2])).toBe('final');
    expect(accuracyText(0.8767)).toBe('87.67 %');
    expect(accuracyText(null)).toBe('–');
  });

  it('exports the CLI\'s JSON shape without the pictures', () => {
    const j = JSON.parse(evolutionJson(result));
    expect(j.checkpoints).toEqual([{ model: '/c/epoch-1.onnx', epoch: 1, accuracy: 0.5 }, { model: '/c/epoch-2.onnx', epoch: 2, accuracy: 0.8767 }, { model: '/c/final.onnx', epoch: null, accuracy: null }]);
    expect(j.layer).toBe('conv1');
    expect(j.maps[0]).toEqual({ channel: 5, changes: 1, entries: [0, 1, 2].map((i) => ({ checkpoint: i, image: ['a.png', 'b.png', 'b.png'][i], position: [1, 2], value: i + 1 })) });
  });
});

describe('accuracyCaption', () => {
  const c = (epoch: number | null, accuracy: number | null) => ({ name: `e${epoch}.onnx`, epoch, accuracy });
  it('lists each checkpoint’s accuracy, and says why one shown as – is not available', () => {
    expect(accuracyCaption([c(1, 0.5), c(2, 0.75)])).toBe('Accuracy on the folder: epoch 1 50.00 %, epoch 2 75.00 %.');
    expect(accuracyCaption([c(1, 0.5), c(2, null)])).toMatch(/^Accuracy on the folder: epoch 1 50\.00 %, epoch 2 –\. –: not available: no class sub-folder/);
    expect(accuracyCaption([c(1, null), c(2, null)])).toBe('Accuracy on the folder: not available: no class sub-folder of the folder names a class of the model.');
  });
});
