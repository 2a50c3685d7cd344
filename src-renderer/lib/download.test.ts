import { describe, expect, it } from 'vitest';
import { projectionFileBase, singleExtension } from './download.ts';

describe('projectionFileBase', () => {
  it('names the layer, map, mode and position in file-safe characters', () => {
    expect(projectionFileBase('/relu5/Relu_output_0', 12, 'single', [2, 3])).toBe('relu5-c12-single-y2x3');
    expect(projectionFileBase('/features/features.0/Conv_output_0', 0, 'map', null)).toBe('features.0-c0-map');
    expect(projectionFileBase('logits', 3, 'single', [0, 0])).toBe('logits-c3-single-y0x0');
    expect(projectionFileBase('a b:c', 1, 'map', [1, 1])).toBe('a_b_c-c1-map');
  });
});

describe('singleExtension', () => {
  it('collapses a repeated extension and leaves others alone', () => {
    expect(singleExtension('occlusion-img00.png.png')).toBe('occlusion-img00.png');
    expect(singleExtension('relu5-c12.npy')).toBe('relu5-c12.npy');
    expect(singleExtension('data.csv.png')).toBe('data.csv.png');
  });
});
