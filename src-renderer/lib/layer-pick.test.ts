import { describe, expect, it } from 'vitest';
import type { LayerInfo, LayerKind } from '../../src-main/common/types.ts';
import { defaultLayer, mapDims } from './layer-pick.ts';

function layer(id: string, op: string, kind: LayerKind, shape: number[]): LayerInfo {
  return { id, node: id, op, kind, shape, params: 0, receptiveField: null };
}

const zf = [
  layer('conv1', 'Conv', 'conv', [1, 32, 32, 32]),
  layer('relu1', 'Relu', 'relu', [1, 32, 32, 32]),
  layer('pool1', 'MaxPool', 'pool', [1, 32, 16, 16]),
  layer('conv5', 'Conv', 'conv', [1, 64, 4, 4]),
  layer('relu5', 'Relu', 'relu', [1, 64, 4, 4]),
  layer('pool5', 'MaxPool', 'pool', [1, 64, 2, 2]),
  layer('flatten', 'Flatten', 'other', [1, 256]),
  layer('fc6', 'Gemm', 'fc', [1, 256]),
  layer('relu6', 'Relu', 'relu', [1, 256]),
];

describe('mapDims', () => {
  it('reads maps from 4-D shapes, C maps of 1×L from N×C×L, and units of fc layers as 1×1 maps', () => {
    expect(mapDims(zf[0].shape)).toEqual([32, 32, 32]);
    expect(mapDims(zf[7].shape)).toEqual([256, 1, 1]);
    expect(mapDims([1, 8, 5])).toEqual([8, 1, 5]);
    expect(mapDims([])).toBeNull();
    expect(mapDims([1, 2, 3, 4, 5])).toBeNull();
  });
});

describe('defaultLayer', () => {
  it('picks the last ReLU of a conv layer, not the fc layers’ ReLU', () => {
    expect(defaultLayer(zf)).toBe('relu5');
  });

  it('looks through batch norm between a conv and its ReLU', () => {
    const bn = [layer('c', 'Conv', 'conv', [1, 8, 4, 4]), layer('bn', 'BatchNormalization', 'norm', [1, 8, 4, 4]), layer('r', 'Relu', 'relu', [1, 8, 4, 4])];
    expect(defaultLayer(bn)).toBe('r');
  });

  it('falls back to the first conv layer, then the first spatial layer, then the first', () => {
    expect(defaultLayer([layer('p', 'MaxPool', 'pool', [1, 8, 4, 4]), layer('c', 'Conv', 'conv', [1, 8, 4, 4])])).toBe('c');
    expect(defaultLayer([layer('f', 'Flatten', 'other', [1, 8]), layer('p', 'MaxPool', 'pool', [1, 8, 4, 4])])).toBe('p');
    expect(defaultLayer([layer('f', 'Flatten', 'other', [1, 8])])).toBe('f');
    expect(defaultLayer([])).toBeNull();
  });
});
