import { describe, expect, it } from 'vitest';
import {
  baseName, dirName, formatActivation, formatBytes, formatCount, formatMs, formatPair, formatPercent, formatRangeEnds, formatReceptiveField, formatShape, joinPath,
} from './format.ts';

describe('formatShape', () => {
  it('joins dims with ×, keeps symbolic dims, marks unknown ones', () => {
    expect(formatShape([1, 32, 14, 14])).toBe('1×32×14×14');
    expect(formatShape(['N', 1, 28, 28])).toBe('N×1×28×28');
    expect(formatShape([-1, 10])).toBe('?×10');
    expect(formatShape([])).toBe('—');
  });
});

describe('formatBytes', () => {
  it('uses binary units with three significant digits', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1.00 KiB');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(250 * 1024)).toBe('250 KiB');
    expect(formatBytes(12.34 * 1024 * 1024)).toBe('12.3 MiB');
    expect(formatBytes(-1)).toBe('—');
  });
});

describe('formatCount', () => {
  it('abbreviates thousands and millions, drops trailing zeros', () => {
    expect(formatCount(0)).toBe('—');
    expect(formatCount(864)).toBe('864');
    expect(formatCount(1000)).toBe('1k');
    expect(formatCount(12_345)).toBe('12.3k');
    expect(formatCount(1_250_000)).toBe('1.25M');
    expect(formatCount(60_965_128)).toBe('61M');
  });
});

describe('receptive fields', () => {
  it('shows a pair once when both axes agree', () => {
    expect(formatPair([7, 7])).toBe('7');
    expect(formatPair([7, 5])).toBe('7×5');
    expect(formatPair([-0.5, -0.5])).toBe('-0.5');
  });

  it('formats size, stride and offset, or dashes when unknown', () => {
    expect(formatReceptiveField({ size: [11, 11], stride: [4, 4], offset: [-2, -2] })).toEqual({ size: '11', stride: '4', offset: '-2' });
    expect(formatReceptiveField({ size: [3, 5], stride: [1, 2], offset: [0, 1.5] })).toEqual({ size: '3×5', stride: '1×2', offset: '0×1.5' });
    expect(formatReceptiveField(null)).toEqual({ size: '—', stride: '—', offset: '—' });
  });
});

describe('formatPercent', () => {
  it('keeps small probabilities distinguishable', () => {
    expect(formatPercent(0.973)).toBe('97.3%');
    expect(formatPercent(1)).toBe('100.0%');
    expect(formatPercent(0.99996)).toBe('>99.9%');
    expect(formatPercent(0.0042)).toBe('0.42%');
    expect(formatPercent(0.00000001)).toBe('<0.01%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(Number.NaN)).toBe('—');
  });
});

describe('paths', () => {
  it('splits and joins with either separator', () => {
    expect(baseName('/a/b/zf-mini.onnx')).toBe('zf-mini.onnx');
    expect(baseName('C:\\models\\m.onnx')).toBe('m.onnx');
    expect(baseName('/a/b/')).toBe('b');
    expect(dirName('/a/b/c.onnx')).toBe('/a/b');
    expect(dirName('/c.onnx')).toBe('/');
    expect(joinPath('/a/b', 'c')).toBe('/a/b/c');
    expect(joinPath('/', 'tmp')).toBe('/tmp');
    expect(joinPath('C:\\models', 'm.onnx')).toBe('C:\\models\\m.onnx');
  });
});

describe('numbers', () => {
  it('drops only zeros after a decimal point', async () => {
    const { trimZeros, formatNumber } = await import('./format.ts');
    expect(trimZeros('100')).toBe('100');
    expect(trimZeros('10.0')).toBe('10');
    expect(trimZeros('0.500')).toBe('0.5');
    expect(formatNumber(0.2860402)).toBe('0.286');
    expect(formatNumber(9.99999)).toBe('10');
    expect(formatNumber(255)).toBe('255');
    expect(formatCount(100_000)).toBe('100k');
    expect(formatCount(100)).toBe('100');
  });
});

describe('shortLayerName', () => {
  it('drops the repeated module path and the output suffix of exported names', async () => {
    const { shortLayerName } = await import('./format.ts');
    expect(shortLayerName('/features/features.0/Conv_output_0')).toBe('features.0/Conv');
    expect(shortLayerName('/layer1/layer1.0/relu_1/Relu_output_0')).toBe('layer1.0/relu_1/Relu');
    expect(shortLayerName('/Flatten_output_0')).toBe('Flatten');
    expect(shortLayerName('logits')).toBe('logits');
    expect(shortLayerName('conv1')).toBe('conv1');
    expect(shortLayerName('/')).toBe('/');
  });
});

describe('readLayerName', () => {
  it('names the tensor read, and the conv layer asked for when they differ', async () => {
    const { readLayerName } = await import('./format.ts');
    expect(readLayerName('/conv5/Conv_output_0', '/relu5/Relu_output_0')).toBe('conv5/Conv after its ReLU: relu5/Relu');
    expect(readLayerName('/relu5/Relu_output_0', '/relu5/Relu_output_0')).toBe('relu5/Relu');
  });
});

describe('formatActivation', () => {
  it('shows three significant digits, a true minus sign, and compact large and tiny values', () => {
    expect(formatActivation(3.4127)).toBe('3.41');
    expect(formatActivation(12.345)).toBe('12.3');
    expect(formatActivation(0.05213)).toBe('0.0521');
    expect(formatActivation(2)).toBe('2');
    expect(formatActivation(0)).toBe('0');
    expect(formatActivation(-2.5)).toBe('−2.5');
    expect(formatActivation(1234.5)).toBe('1235');
    expect(formatActivation(12345)).toBe('12.3k');
    expect(formatActivation(0.00012)).toBe('1.2e-4');
    expect(formatActivation(Number.NaN)).toBe('—');
  });
});

describe('formatRangeEnds', () => {
  it('adds digits until the two ends differ', () => {
    expect(formatRangeEnds(0.001412, 0.001437, 'percent')).toEqual(['0.1412%', '0.1437%']);
    expect(formatRangeEnds(13.21, 13.24, 'activation')).toEqual(['13.21', '13.24']);
  });
  it('keeps the plain form when it already differs, or when the ends are equal', () => {
    expect(formatRangeEnds(0.2, 0.9, 'percent')).toEqual([formatPercent(0.2), formatPercent(0.9)]);
    expect(formatRangeEnds(5, 5, 'activation')).toEqual(['5', '5']);
  });
});

describe('formatMs', () => {
  it('milliseconds, seconds, minutes', () => {
    expect(formatMs(850.4)).toBe('850 ms');
    expect(formatMs(11491)).toBe('11.5 s');
    expect(formatMs(124_000)).toBe('2 min 4 s');
  });
});
