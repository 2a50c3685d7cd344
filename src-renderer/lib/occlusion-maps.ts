// Occlusion results for display and export: value ranges for the colour scales, categorical colours
// for the top-1 map, and the CSV of every grid position.
import type { OcclusionResult } from '../../src-main/common/api-occlusion.ts';
import type { HeatScale } from './heatmap.ts';

/**
 * The scale of an occlusion map: its real range min..max, so a map whose values all sit near the
 * top (P of a confident class, a strong unit's total) still shows its structure. `auto` clips to
 * the 2nd..98th percentile (auto-contrast) so one extreme cell does not flatten the rest.
 */
export function rangeScale(values: Float32Array, auto = false): Required<HeatScale> {
  if (values.length === 0) return { lo: 0, hi: 0, diverging: false };
  let lo = Infinity;
  let hi = -Infinity;
  if (auto && values.length >= 10) {
    const sorted = Float32Array.from(values).sort();
    lo = sorted[Math.floor(0.02 * (sorted.length - 1))];
    hi = sorted[Math.ceil(0.98 * (sorted.length - 1))];
  } else {
    for (const v of values) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return { lo, hi, diverging: false };
}

/** Tableau 10: nine distinct colours for the most frequent classes, its grey for every other class. */
export const CLASS_COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f'];
export const OTHER_COLOUR = '#bab0ac';

export interface ClassLegendEntry {
  /** The class index, or null for "other" (all classes outside the top N together). */
  index: number | null;
  label: string;
  share: number;
  colour: string;
  /** How many classes the entry stands for (1, or the count folded into "other"). */
  classes: number;
}

/**
 * Colours of the top-1 map that cannot collide: the `n` classes covering the most positions
 * (ties: lower index) get distinct colours, every other class is "other", named in the legend.
 */
export function classPalette(r: Pick<OcclusionResult, 'top1' | 'labels'>, n = CLASS_COLOURS.length): { legend: ClassLegendEntry[]; colourOf: Map<number, string> } {
  const counts = new Map<number, number>();
  for (const c of r.top1) counts.set(c, (counts.get(c) ?? 0) + 1);
  const total = Math.max(1, r.top1.length);
  const ranked = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const k = Math.min(n, CLASS_COLOURS.length);
  // With exactly k+1 classes the last still gets "other": k distinct colours is the contract.
  const top = ranked.slice(0, k);
  const rest = ranked.slice(k);
  const colourOf = new Map<number, string>(top.map(([c], i) => [c, CLASS_COLOURS[i]]));
  const legend: ClassLegendEntry[] = top.map(([index, m], i) => ({ index, label: r.labels[index] ?? `class ${index}`, share: m / total, colour: CLASS_COLOURS[i], classes: 1 }));
  if (rest.length > 0) {
    const m = rest.reduce((a, [, v]) => a + v, 0);
    legend.push({ index: null, label: `other (${rest.length} class${rest.length === 1 ? '' : 'es'})`, share: m / total, colour: OTHER_COLOUR, classes: rest.length });
  }
  return { legend, colourOf };
}

/** Writes the top-1 map as RGBA pixels (rows × cols) in the palette's colours. */
export function paintClasses(top1: Int32Array, colourOf: ReadonlyMap<number, string>, out: Uint8ClampedArray): void {
  for (let i = 0; i < top1.length; i++) {
    const hex = colourOf.get(top1[i]) ?? OTHER_COLOUR;
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

/**
 * The terms of each occlusion map, as DESIGN §3 defines them. Two "unoccluded" numbers exist for
 * one unit: the map's total Σₚ a[c,p] (the activity map's reference) and a[c,p*] at one position
 * (the faithfulness check's); each caption names which it shows.
 */
export function occlusionCaptions(r: Pick<OcclusionResult, 'layer' | 'channel' | 'targetLabel' | 'size' | 'stride' | 'base' | 'labels'>, fmt: { activation: (v: number) => string; percent: (v: number) => string }) {
  const where = `Each cell is one position of a ${r.size}×${r.size} px grey square (stride ${r.stride} px), painted at the square's centre.`;
  return {
    activity: `Activity = Σₚ a[c,p]: the total activation of map c = ${r.channel} of ${r.layer} (after its ReLU) summed over all positions p of the map, a[c,p] being its value at position p. ${where} Unoccluded total: ${fmt.activation(r.base.activity)}.`,
    pClass: `P(${r.targetLabel}): the softmax probability of the target class with the square in place. ${where} Unoccluded: ${fmt.percent(r.base.pClass)}.`,
    top1: `The most probable class with the square in place; the ${CLASS_COLOURS.length} classes covering most positions have their own colours, all others are grey "other". ${where} Unoccluded: ${r.labels[r.base.top1] ?? `class ${r.base.top1}`}.`,
  };
}
