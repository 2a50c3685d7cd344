// Exports of a top-k scan: the result as JSON (the CLI's shape per layer) and as CSV, one row per entry,
// and the layout of a map's Top-k figure.
import type { TopkLayerResult, TopkScanResult } from '../../src-main/common/api-topk.ts';
import { topkLayerJson } from '../../src-main/common/topk-json.ts';
import type { FigurePanel, FigureSpec } from './figure-layout.ts';

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

/** A picture of the figure with its own pixel size, drawn into whatever box it is given. */
export interface TopkPicture {
  width: number;
  height: number;
  draw: (ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number) => void;
}

/** Edge of a tile in the exported Top-k figure, px (as on screen). */
export const TOPK_CELL = 120;
const TOPK_COLS = 3;

/** Draws `p` as large as fits in the box, centred, keeping its aspect ratio (patches at a border are not square). */
function contained(p: TopkPicture | null): FigurePanel['draw'] {
  return (ctx, x, y, w, h) => {
    if (!p || p.width <= 0 || p.height <= 0) return;
    const k = Math.min(w / p.width, h / p.height);
    const dw = p.width * k;
    const dh = p.height * k;
    p.draw(ctx, x + (w - dw) / 2, y + (h - dh) / 2, dw, dh);
  };
}

/**
 * Fig. 2 for one map as a figure: each row holds three ranks, their projections on the left and their
 * image patches on the right, every tile its own picture under its own label (`#1 · a = 2.73`), so no
 * label lies on a picture; the images of the ranks are named in the caption.
 */
export function topkFigureSpec(o: {
  title: string;
  channel: number;
  tiles: readonly { image: string; position: readonly [number, number]; value: number }[];
  pictures: readonly { projection: TopkPicture | null; patch: TopkPicture }[];
  fmt: (v: number) => string;
  captionLine: string;
}): FigureSpec {
  const n = o.tiles.length;
  const none: FigurePanel = { title: '', width: 0, height: 0, draw: () => {} };
  const rows: FigurePanel[][] = [];
  for (let r = 0; r * TOPK_COLS < n; r++) {
    const ranks = Array.from({ length: TOPK_COLS }, (_, c) => r * TOPK_COLS + c);
    rows.push([
      ...ranks.map((i): FigurePanel => (i < n ? { title: `#${i + 1} · a = ${o.fmt(o.tiles[i].value)}`, width: TOPK_CELL, height: TOPK_CELL, draw: contained(o.pictures[i]?.projection ?? null) } : none)),
      ...ranks.map((i): FigurePanel => (i < n ? { title: `#${i + 1}`, width: TOPK_CELL, height: TOPK_CELL, draw: contained(o.pictures[i]?.patch ?? null) } : none)),
    ]);
  }
  return {
    title: o.title,
    rows,
    columnGaps: [0, 0, 24],
    caption: [
      'Left: single-activation projections (v / max|v| around grey); right: the image patches under each receptive field; #n is the rank.',
      ...topkRankLines(o.tiles, o.fmt),
      `a = the maximum of map ${o.channel} over positions in that image (after the ReLU), at the position given as (row, column) of the map.`,
      o.captionLine,
    ],
  };
}
