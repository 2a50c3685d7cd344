import { describe, expect, it } from 'vitest';
import { defaultInvarianceLayers, defaultInvarianceRange, defaultMaxShift } from '../../../common/api-invariance.ts';
import type { LayerInfo } from '../../../common/types.ts';

const layer = (id: string, op: string, kind: LayerInfo['kind']): LayerInfo => ({ id, node: id, op, kind, shape: [], params: 0, receptiveField: null });

describe('invariance defaults', () => {
  it('picks the first conv layer and the last hidden fc layer, each after its ReLU (the paper’s layers 1 and 7)', () => {
    const zf = [
      layer('conv1', 'Conv', 'conv'), layer('bn1', 'BatchNormalization', 'norm'), layer('relu1', 'Relu', 'relu'), layer('pool1', 'MaxPool', 'pool'),
      layer('conv2', 'Conv', 'conv'), layer('relu2', 'Relu', 'relu'), layer('flatten', 'Flatten', 'other'),
      layer('fc6', 'Gemm', 'fc'), layer('relu6', 'Relu', 'relu'), layer('fc7', 'Gemm', 'fc'), layer('relu7', 'Relu', 'relu'), layer('logits', 'Gemm', 'fc'),
    ];
    expect(defaultInvarianceLayers(zf)).toEqual(['relu1', 'relu7']);
    // No ReLU after the first conv: the conv itself. A global-pooling net without hidden fc: the last ReLU.
    const gap = [layer('conv1', 'Conv', 'conv'), layer('pool', 'MaxPool', 'pool'), layer('conv2', 'Conv', 'conv'), layer('relu2', 'Relu', 'relu'),
      layer('gap', 'GlobalAveragePool', 'pool'), layer('flatten', 'Flatten', 'other'), layer('fc', 'Gemm', 'fc'), layer('prob', 'Softmax', 'other')];
    expect(defaultInvarianceLayers(gap)).toEqual(['conv1', 'relu2']);
  });

  it('scales the paper’s ±60 px at 224 to the input side; scale 1…1.8; rotation 0…350° by 10°', () => {
    expect(defaultInvarianceRange('translate-y', [64, 64])).toEqual({ from: -17, to: 17, steps: 35 });
    expect(defaultInvarianceRange('translate-x', [224, 112])).toEqual({ from: -30, to: 30, steps: 61 });
    expect(defaultInvarianceRange('scale', [64, 64])).toEqual({ from: 1, to: 1.8, steps: 17 });
    expect(defaultInvarianceRange('rotate', [64, 64])).toEqual({ from: 0, to: 350, steps: 36 });
    expect(defaultMaxShift([64, 64])).toBe(9);
    expect(defaultMaxShift([224, 224])).toBe(32);
  });
});
