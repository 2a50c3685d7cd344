// The Correspondence view's pure parts: boxes drawn by dragging and nudged with the keyboard (kept
// inside the model input), the table as CSV/JSON, and the bar chart with error bars.
import type { CorrespondenceResult, PartBox, PartsFile } from '../../src-main/common/api-correspondence.ts';
import { PALETTE, type ChartConfiguration } from './charts.ts';
import type { Plugin } from 'chart.js';

/** A square of a quarter of the input's smaller side, centred: where a new image's box starts. */
export function defaultBox(H: number, W: number): PartBox {
  const s = Math.max(1, Math.round(Math.min(H, W) / 4));
  return [Math.floor((H - s) / 2), Math.floor((W - s) / 2), s, s];
}

/** The box spanned by two corners of a drag (model-input pixels, either order), clipped to H×W, at least 1×1. */
export function boxFromDrag(a: readonly [number, number], b: readonly [number, number], H: number, W: number): PartBox {
  const clampY = (v: number) => Math.max(0, Math.min(H - 1, Math.floor(v)));
  const clampX = (v: number) => Math.max(0, Math.min(W - 1, Math.floor(v)));
  const [y0, y1] = [clampY(a[0]), clampY(b[0])].sort((p, q) => p - q);
  const [x0, x1] = [clampX(a[1]), clampX(b[1])].sort((p, q) => p - q);
  return [y0, x0, y1 - y0 + 1, x1 - x0 + 1];
}

const MOVES: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };

/**
 * The box after an arrow key: moved by `step` pixels, or with `resize` grown/shrunk at its bottom-right
 * corner; always inside H×W and at least 1×1. Null for any other key.
 */
export function nudgeBox(box: PartBox, key: string, H: number, W: number, step = 1, resize = false): PartBox | null {
  const m = MOVES[key];
  if (!m) return null;
  let [y, x, h, w] = box;
  if (resize) {
    h = Math.max(1, Math.min(H - y, h + m[0] * step));
    w = Math.max(1, Math.min(W - x, w + m[1] * step));
  } else {
    y = Math.max(0, Math.min(H - h, y + m[0] * step));
    x = Math.max(0, Math.min(W - w, x + m[1] * step));
  }
  return [y, x, h, w];
}

/** The parts file the view saves: the format the CLI reads (image paths relative to the open folder). */
export function partsJson(p: PartsFile): string {
  return JSON.stringify({ parts: p.parts.map((q) => ({ name: q.name, boxes: q.boxes.map((b) => ({ image: b.image, box: [...b.box] })) })) }, null, 2) + '\n';
}

const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

/** Table 1 as CSV: a row per part (Δ and its own random control per layer), then the random row. */
export function correspondenceCsv(r: CorrespondenceResult): string {
  const head = ['part', 'images', ...r.layers.flatMap((l) => [`delta ${l}`, `random mean ${l}`, `random std ${l}`])];
  const rows = r.parts.map((p) => [csvCell(p.name), String(p.images), ...r.layers.flatMap((l) => [String(p.delta[l]), String(p.random[l]?.mean ?? ''), String(p.random[l]?.std ?? '')])]);
  const random = [`random (${r.random.draws} draws, seed ${r.random.seed})`, '', ...r.layers.flatMap((l) => [String(r.random.delta[l].mean), String(r.random.delta[l].mean), String(r.random.delta[l].std)])];
  return [head.map(csvCell).join(','), ...rows.map((c) => c.join(',')), random.map(csvCell).join(',')].join('\n') + '\n';
}

/** The result as the CLI's `--json` writes it. */
export function correspondenceJson(r: CorrespondenceResult, model: string | null): string {
  return JSON.stringify({ model, layers: r.layers, parts: r.parts, random: r.random }, null, 2) + '\n';
}

/** A layer id as a column or legend says it: ONNX names like `/relu5/Relu_output_0` read `relu5`. */
export function shortLayer(id: string): string {
  const m = /^\/([^/]+)\/[^/]+_output_\d+$/.exec(id);
  return m ? m[1] : id;
}

interface ErrorBarOptions {
  /** Per dataset, per category: [low, high] or null for no bar. */
  ranges?: ([number, number] | null)[][];
}

/** Whiskers over bars at each category's [low, high] (chart.js has no error bars of its own). */
export const errorBars: Plugin<'bar'> = {
  id: 'errorBars',
  afterDatasetsDraw(chart, _args, options) {
    const ranges = (options as ErrorBarOptions).ranges ?? [];
    const y = chart.scales.y;
    if (!y) return;
    const { ctx } = chart;
    ctx.save();
    ctx.strokeStyle = '#e4e6ea';
    ctx.lineWidth = 1.5;
    ranges.forEach((perCategory, d) => {
      const meta = chart.getDatasetMeta(d);
      if (meta.hidden) return;
      perCategory.forEach((range, i) => {
        const bar = meta.data[i];
        if (!range || !bar) return;
        const x = bar.x;
        const [lo, hi] = [y.getPixelForValue(range[0]), y.getPixelForValue(range[1])];
        ctx.beginPath();
        ctx.moveTo(x, lo);
        ctx.lineTo(x, hi);
        ctx.moveTo(x - 5, lo);
        ctx.lineTo(x + 5, lo);
        ctx.moveTo(x - 5, hi);
        ctx.lineTo(x + 5, hi);
        ctx.stroke();
      });
    });
    ctx.restore();
  },
};

/**
 * Bars of Δ per part and layer, the random control last; error bars: mean ± std of the random
 * control (each part's own over its bar's whisker, the pooled one over the random bar).
 */
export function correspondenceChart(r: CorrespondenceResult): ChartConfiguration<'bar'> {
  const labels = [...r.parts.map((p) => p.name), `random (×${r.random.draws})`];
  const ranges = r.layers.map((l) => [
    ...r.parts.map((p) => (p.random[l] && r.random.draws > 0 ? [p.random[l].mean - p.random[l].std, p.random[l].mean + p.random[l].std] as [number, number] : null)),
    r.random.draws > 0 ? [r.random.delta[l].mean - r.random.delta[l].std, r.random.delta[l].mean + r.random.delta[l].std] as [number, number] : null,
  ]);
  // The whiskers are drawn by a plugin: the axis must reach their tops too.
  const top = Math.max(0, ...r.layers.flatMap((l) => [...r.parts.map((p) => p.delta[l]), r.random.delta[l].mean]), ...ranges.flat().map((x) => x?.[1] ?? 0));
  return {
    type: 'bar',
    data: {
      labels,
      datasets: r.layers.map((l, i) => ({
        label: shortLayer(l),
        data: [...r.parts.map((p) => p.delta[l]), r.random.delta[l].mean],
        backgroundColor: labels.map((_, k) => (k === labels.length - 1 ? `${PALETTE[i % PALETTE.length]}66` : PALETTE[i % PALETTE.length])),
      })),
    },
    options: {
      plugins: { errorBars: { ranges }, legend: { display: true } } as never,
      scales: { y: { beginAtZero: true, suggestedMax: Number.isFinite(top) ? top * 1.05 : undefined, title: { display: true, text: 'Δ (lower: the layer ties the part)' } } },
    },
    plugins: [errorBars],
  };
}
