import { describe, expect, it } from 'vitest';
import type { TopkScanResult } from '../../src-main/common/api-topk.ts';
import { topkCsv, topkJson, topkRankLines, topkTitle, wallOrder } from './topk-export.ts';

const result: TopkScanResult = {
  folder: '/data',
  total: 3,
  scanned: 3,
  complete: true,
  rescanned: [],
  ms: 1,
  layers: [{
    layer: 'conv1', tensor: 'relu1', k: 2, dims: [2, 4, 4], images: 3, failed: 0, neverFires: [1],
    maps: [
      { channel: 0, firingRate: 2 / 3, meanMax: 0.5, entries: [{ image: 'a,b.png', index: 0, position: [1, 2], value: 1.5 }, { image: 'c.png', index: 2, position: [0, 0], value: 0.25 }] },
      { channel: 1, firingRate: 0, meanMax: -0.1, entries: [] },
    ],
  }],
};

describe('topk exports', () => {
  it('CSV: a row per entry (quoted where needed) and one for a map without entries', () => {
    const lines = topkCsv(result).trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toBe(`conv1,relu1,0,${2 / 3},0.5,1,"a,b.png",1,2,1.5`);
    expect(lines[3]).toBe('conv1,relu1,1,0,-0.1,,,,,');
  });

  it('JSON: the CLI shape per layer, without listing indices', () => {
    const j = JSON.parse(topkJson(result));
    expect(j.layers[0].maps[0].entries[0]).toEqual({ image: 'a,b.png', position: [1, 2], value: 1.5 });
    expect(j.layers[0].neverFires).toEqual([1]);
  });

  it('orders the wall by mean maximum or firing rate', () => {
    expect(wallOrder(result.layers[0], 'mean')).toEqual([0, 1]);
    expect(wallOrder(result.layers[0], 'channel')).toEqual([0, 1]);
  });
});

describe('Top-k figure text', () => {
  const tiles = [
    { image: 'dogs/a.png', position: [3, 4] as const, value: 9.5 },
    { image: 'cats/b.png', position: [0, 1] as const, value: 2.25 },
  ];
  it('names the layer, the map and the values', () => {
    expect(topkTitle('conv5', 12, tiles.map((t) => t.value), (v) => v.toFixed(2))).toBe('Top-2 of layer conv5, map 12, max activation 2.25 to 9.50');
    expect(topkRankLines(tiles, (v) => v.toFixed(1))).toEqual(['1. dogs/a.png at (3, 4): a = 9.5', '2. cats/b.png at (0, 1): a = 2.3']);
  });
});
