// The Probes view's layers × checkpoints heatmap (issue 16): probe accuracy of each layer (rows,
// input at the top) at each checkpoint (columns, in epoch order), on one colour scale whose range is
// the grid's own minimum and maximum; its caption and its exports (CSV, one row per cell; JSON).
import type { ProbeCheckpointsResult } from '../../src-main/common/api-probe.ts';
import { INFERNO, lutIndex, SEQUENTIAL_LUT } from './heatmap.ts';
import { shortLayerName } from './probe-chart.ts';

export interface ProbeGrid {
  /** Layer ids, input to output. */
  layers: string[];
  /** Column headings: "epoch 5", or the file name when it carries no epoch. */
  columns: string[];
  /** accuracy[layer][checkpoint], std likewise. */
  accuracy: number[][];
  std: number[][];
  /** The colour scale's range: the lowest and highest accuracy in the grid. */
  lo: number;
  hi: number;
}

export function checkpointLabel(c: { name: string; epoch: number | null }): string {
  return c.epoch === null ? c.name.replace(/\.onnx$/i, '') : `epoch ${c.epoch}`;
}

/** The grid of a result. Every checkpoint has the same layers (one architecture, one layer list). */
export function probeGrid(r: ProbeCheckpointsResult): ProbeGrid {
  const layers = r.checkpoints[0]?.layers.map((l) => l.layer) ?? [];
  const cell = (li: number, key: 'accuracy' | 'std') => r.checkpoints.map((c) => c.layers[li][key]);
  const accuracy = layers.map((_, li) => cell(li, 'accuracy'));
  const all = accuracy.flat();
  return {
    layers,
    columns: r.checkpoints.map(checkpointLabel),
    accuracy,
    std: layers.map((_, li) => cell(li, 'std')),
    lo: all.length ? Math.min(...all) : 0,
    hi: all.length ? Math.max(...all) : 1,
  };
}

/** The CSS colour of an accuracy on the grid's scale (inferno: dark low, bright high). */
export function cellColour(v: number, g: Pick<ProbeGrid, 'lo' | 'hi'>): string {
  const k = lutIndex(v, { lo: g.lo, hi: g.hi, diverging: false }) * 3;
  return `rgb(${SEQUENTIAL_LUT[k]}, ${SEQUENTIAL_LUT[k + 1]}, ${SEQUENTIAL_LUT[k + 2]})`;
}

/** Text on a cell that stays readable: dark on the bright end of the scale. */
export function cellText(v: number, g: Pick<ProbeGrid, 'lo' | 'hi'>): string {
  return lutIndex(v, { lo: g.lo, hi: g.hi, diverging: false }) > 170 ? '#000' : '#fff';
}

export const GRID_STOPS = INFERNO;

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

/**
 * Paints the grid into (x, y, w, h) of a canvas: cells with their accuracy, layer names on the
 * left, checkpoint headings on top (for the exported figure; the view draws the same with HTML).
 */
export function drawProbeGrid(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number, g: ProbeGrid): void {
  const left = Math.min(140, w * 0.3);
  const top = 20;
  const cw = (w - left) / Math.max(1, g.columns.length);
  const ch = (h - top) / Math.max(1, g.layers.length);
  ctx.save();
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'center';
  ctx.fillStyle = '#a3a8b2';
  g.columns.forEach((c, j) => ctx.fillText(c, x + left + (j + 0.5) * cw, y + top / 2));
  g.layers.forEach((l, i) => {
    ctx.textAlign = 'right';
    ctx.fillStyle = '#a3a8b2';
    ctx.fillText(shortLayerName(l), x + left - 6, y + top + (i + 0.5) * ch);
    ctx.textAlign = 'center';
    g.accuracy[i].forEach((v, j) => {
      ctx.fillStyle = cellColour(v, g);
      ctx.fillRect(x + left + j * cw, y + top + i * ch, cw - 1, ch - 1);
      ctx.fillStyle = cellText(v, g);
      ctx.fillText(pct(v), x + left + (j + 0.5) * cw, y + top + (i + 0.5) * ch);
    });
  });
  ctx.restore();
}

/** What the heatmap shows, in words (under it and in exported figures). */
export function probeGridCaption(r: ProbeCheckpointsResult): string[] {
  const first = r.checkpoints[0];
  if (!first) return [];
  return [
    `Probe accuracy of each layer (rows, input at the top) at each of ${r.checkpoints.length} training checkpoints (columns, by epoch): a ridge classifier (λ = ${first.lambda}) on the layer's standardised features, ${first.folds}-fold cross-validation on ${first.images} images of ${first.classes} classes (DESIGN §3 "Linear probe").`,
    `Colour: accuracy from the grid's lowest (${pct(Math.min(...r.checkpoints.flatMap((c) => c.layers.map((l) => l.accuracy))))}, dark) to its highest (${pct(Math.max(...r.checkpoints.flatMap((c) => c.layers.map((l) => l.accuracy))))}, bright). Chance: ${pct(first.chance)}. Model accuracy per checkpoint: ${r.checkpoints.map((c) => `${checkpointLabel(c)} ${c.modelAccuracy === null ? 'n/a' : pct(c.modelAccuracy)}`).join(', ')}.`,
  ];
}

const csvCell = (v: string | number | null): string => (v === null ? '' : typeof v === 'number' ? String(v) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** One row per layer and checkpoint. */
export function probeGridCsv(r: ProbeCheckpointsResult): string {
  const rows = ['checkpoint,epoch,layer,tensor,features,accuracy,std,model_accuracy,chance'];
  for (const c of r.checkpoints) {
    for (const l of c.layers) rows.push([c.name, c.epoch, l.layer, l.tensor, l.features, l.accuracy, l.std, c.modelAccuracy, c.chance].map(csvCell).join(','));
  }
  return rows.join('\n') + '\n';
}

/** The CLI's JSON (`convscope probe --checkpoints … --json`), with the fold accuracies added. */
export function probeGridJson(r: ProbeCheckpointsResult): string {
  return JSON.stringify({
    checkpoints: r.checkpoints.map((c) => ({
      model: c.file, epoch: c.epoch, images: c.images, classes: c.classes, classNames: c.classNames, folds: c.folds, lambda: c.lambda,
      modelAccuracy: c.modelAccuracy, chance: c.chance,
      layers: c.layers.map((l) => ({ layer: l.layer, tensor: l.tensor, features: l.features, accuracy: l.accuracy, std: l.std, foldAccuracies: l.foldAccuracies })),
    })),
    skipped: r.checkpoints[0]?.skipped ?? [],
  }, null, 2);
}
