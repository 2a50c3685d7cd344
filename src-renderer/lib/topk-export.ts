// Exports of a top-k scan: the result as JSON (the CLI's shape per layer) and as CSV, one row per entry.
import type { TopkLayerResult, TopkScanResult } from '../../src-main/common/api-topk.ts';
import { topkLayerJson } from '../../src-main/common/topk-json.ts';

const csvCell = (v: string | number): string => (typeof v === 'number' ? String(v) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export function topkCsv(result: TopkScanResult): string {
  const rows = ['layer,tensor,channel,firing_rate,mean_max,rank,image,y,x,value'];
  for (const l of result.layers) {
    for (const m of l.maps) {
      if (m.entries.length === 0) rows.push([l.layer, l.tensor, m.channel, m.firingRate, m.meanMax, '', '', '', '', ''].map(csvCell).join(','));
      m.entries.forEach((e, r) => rows.push([l.layer, l.tensor, m.channel, m.firingRate, m.meanMax, r + 1, e.image, e.position[0], e.position[1], e.value].map(csvCell).join(',')));
    }
  }
  return rows.join('\n') + '\n';
}

export function topkJson(result: TopkScanResult): string {
  return JSON.stringify({ folder: result.folder, total: result.total, layers: result.layers.map(topkLayerJson) }, null, 2);
}

/** Maps ordered for the wall: strongest mean maximum first, dead maps last. */
export function wallOrder(l: TopkLayerResult, by: 'channel' | 'mean' | 'firing'): number[] {
  const maps = [...l.maps];
  if (by === 'mean') maps.sort((a, b) => b.meanMax - a.meanMax || a.channel - b.channel);
  if (by === 'firing') maps.sort((a, b) => b.firingRate - a.firingRate || a.channel - b.channel);
  return maps.map((m) => m.channel);
}

/** The ranks of a Top-k figure in words: which image, where, how strong. */
export function topkRankLines(tiles: readonly { image: string; position: readonly [number, number]; value: number }[], fmt: (v: number) => string): string[] {
  return tiles.map((t, i) => `${i + 1}. ${t.image} at (${t.position[0]}, ${t.position[1]}): a = ${fmt(t.value)}`);
}

/** The figure's title: the layer, the map and the range of the values shown. */
export function topkTitle(layer: string, channel: number, values: readonly number[], fmt: (v: number) => string): string {
  const range = values.length ? `, max activation ${fmt(Math.min(...values))} to ${fmt(Math.max(...values))}` : '';
  return `Top-${values.length} of layer ${layer}, map ${channel}${range}`;
}
