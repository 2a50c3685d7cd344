import { describe, expect, it } from 'vitest';
import type { TopkLayerResult } from './api-topk.ts';
import { topkLayerJson } from './topk-json.ts';

const layer: TopkLayerResult = {
  layer: 'conv1', tensor: 'relu1', k: 2, dims: [2, 4, 4], images: 3, failed: 1, neverFires: [1],
  maps: [
    { channel: 0, firingRate: 2 / 3, meanMax: 0.5, entries: [{ image: 'a.png', index: 0, position: [1, 2], value: 1.5 }, { image: 'c.png', index: -1, position: [0, 0], value: 0.25 }] },
    { channel: 1, firingRate: 0, meanMax: -0.1, entries: [] },
  ],
};

describe('topkLayerJson', () => {
  it('keeps the layer, its counts and maps, and drops k, dims and listing indices', () => {
    expect(topkLayerJson(layer)).toStrictEqual({
      layer: 'conv1',
      tensor: 'relu1',
      images: 3,
      failed: 1,
      neverFires: [1],
      maps: [
        { channel: 0, firingRate: 2 / 3, meanMax: 0.5, entries: [{ image: 'a.png', position: [1, 2], value: 1.5 }, { image: 'c.png', position: [0, 0], value: 0.25 }] },
        { channel: 1, firingRate: 0, meanMax: -0.1, entries: [] },
      ],
    });
  });

  it('prints its keys in a fixed order (the order users read in the CLI output and the export)', () => {
    const text = JSON.stringify(topkLayerJson(layer));
    expect(text).toBe(
      '{"layer":"conv1","tensor":"relu1","images":3,"failed":1,"neverFires":[1],"maps":[' +
        `{"channel":0,"firingRate":${2 / 3},"meanMax":0.5,"entries":[{"image":"a.png","position":[1,2],"value":1.5},{"image":"c.png","position":[0,0],"value":0.25}]},` +
        '{"channel":1,"firingRate":0,"meanMax":-0.1,"entries":[]}]}',
    );
  });
});
