// Occlusion results for display and export: value ranges for the colour scales, categorical colours
// for the top-1 map, and the CSV of every grid position.
import type { OcclusionResult } from '../../src-main/common/api-occlusion.ts';
import type { HeatScale } from './heatmap.ts';

/** A sequential scale from 0 to the largest value (P is in [0, 1]; activity after a ReLU ≥ 0). */
export function sequentialScale(values: Float32Array, atLeast = 0): HeatScale {
  let hi = atLeast;
  let lo = 0;
  for (const v of values) {
    if (v > hi) hi = v;
    if (v < lo) lo = v;
  }
  return lo < 0 ? { hi: Math.max(hi, -lo), diverging: true } : { hi, diverging: false };
}

/** Ten well separated colours (Tableau 10), then repeated; one per class in the top-1 map. */
export const CLASS_COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** Classes in the top-1 map with their share of the positions, most frequent first. */
export function top1Legend(r: Pick<OcclusionResult, 'top1' | 'labels'>): { index: number; label: string; share: number; colour: string }[] {
  const counts = new Map<number, number>();
  for (const c of r.top1) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .map(([index, n]) => ({ index, label: r.labels[index] ?? `class ${index}`, share: n / Math.max(1, r.top1.length), colour: classColour(index) }));
}

export function classColour(index: number): string {
  return CLASS_COLOURS[index % CLASS_COLOURS.length];
}

/** Writes the top-1 map as RGBA pixels (rows × cols). */
export function paintClasses(top1: Int32Array, out: Uint8ClampedArray): void {
  for (let i = 0; i < top1.length; i++) {
    const hex = classColour(top1[i]);
    out[i * 4] = parseInt(hex.slice(1, 3), 16);
    out[i * 4 + 1] = parseInt(hex.slice(3, 5), 16);
    out[i * 4 + 2] = parseInt(hex.slice(5, 7), 16);
    out[i * 4 + 3] = 255;
  }
}

/** One row per grid position: where the occluder's top-left corner was, and the three outputs. */
export function occlusionCsv(r: OcclusionResult): string {
  const [rows, cols] = r.grid;
  const out = ['row,col,y,x,p_class,top1,top1_label,activity'];
  for (let i = 0; i < rows * cols; i++) {
    const row = Math.floor(i / cols);
    const col = i % cols;
    const label = r.labels[r.top1[i]] ?? '';
    out.push([row, col, row * r.stride, col * r.stride, r.pClass[i], r.top1[i], /[",\n]/.test(label) ? `"${label.replace(/"/g, '""')}"` : label, r.activity[i]].join(','));
  }
  return out.join('\n') + '\n';
}

export function occlusionJson(r: OcclusionResult): string {
  const [rows, cols] = r.grid;
  const grid = (a: ArrayLike<number>) => Array.from({ length: rows }, (_, y) => Array.from({ length: cols }, (_, x) => a[y * cols + x]));
  return JSON.stringify(
    {
      path: r.path, size: r.size, stride: r.stride, grid: r.grid, targetClass: r.targetClass, targetLabel: r.targetLabel, targetSource: r.targetSource,
      layer: r.layer, tensor: r.tensor, channel: r.channel, base: r.base, labels: r.labels,
      pClass: grid(r.pClass), top1: grid(r.top1), activity: grid(r.activity),
    },
    null,
    2,
  );
}
