import { describe, expect, it } from 'vitest';
import { activationLayerId } from './layers.ts';
import type { LayerKind } from './types.ts';

const L = (id: string, op: string, kind: LayerKind) => ({ id, op, kind });

describe('activationLayerId', () => {
  const layers = [
    L('conv1', 'Conv', 'conv'), L('relu1', 'Relu', 'relu'), L('pool1', 'MaxPool', 'pool'),
    L('conv2', 'Conv', 'conv'), L('bn2', 'BatchNormalization', 'norm'), L('lrelu2', 'LeakyRelu', 'relu'),
    L('conv3', 'Conv', 'conv'), L('pool3', 'MaxPool', 'pool'), L('relu3', 'Relu', 'relu'),
    L('fc6', 'Gemm', 'fc'), L('drop6', 'Dropout', 'other'), L('relu6', 'Relu', 'relu'), L('logits', 'Gemm', 'fc'),
  ];

  it('reads a conv or fc layer after the ReLU that follows it, through BatchNormalization and Dropout', () => {
    expect(activationLayerId(layers, 'conv1')).toBe('relu1');
    expect(activationLayerId(layers, 'conv2')).toBe('lrelu2');
    expect(activationLayerId(layers, 'fc6')).toBe('relu6');
  });

  it('does not look past another op, and leaves other layers (and unknown ids) as they are', () => {
    expect(activationLayerId(layers, 'conv3')).toBe('conv3');
    expect(activationLayerId(layers, 'logits')).toBe('logits');
    expect(activationLayerId(layers, 'pool1')).toBe('pool1');
    expect(activationLayerId(layers, 'relu1')).toBe('relu1');
    expect(activationLayerId(layers, 'nope')).toBe('nope');
  });
});
