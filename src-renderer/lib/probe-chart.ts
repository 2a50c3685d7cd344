// The Probes view's chart and exports (DESIGN §3 "Linear probe"): probe accuracy by layer with a
// ±1 std band over the folds, the model's own accuracy and chance as horizontal lines; the result as
// CSV (one row per layer) and as JSON in the CLI's shape.
import type { ProbeResult } from '../../src-main/common/api-probe.ts';

/** `/conv1/Conv_output_0` → `conv1/Conv`: the axis needs short names; the tooltip and exports keep the id. */
export function shortLayerName(id: string): string {
  return id.replace(/^\//, '').replace(/_output_\d+$/, '') || id;
}

export interface ProbeSeries {
  labels: string[];
  accuracy: number[];
  upper: number[];
  lower: number[];
  model: number[] | null;
  chance: number[];
}

/** The chart's series, one point per layer: accuracy ± std clipped to [0, 1]. */
export function probeSeries(r: ProbeResult): ProbeSeries {
  const n = r.layers.length;
  return {
    labels: r.layers.map((l) => shortLayerName(l.layer)),
    accuracy: r.layers.map((l) => l.accuracy),
    upper: r.layers.map((l) => Math.min(1, l.accuracy + l.std)),
    lower: r.layers.map((l) => Math.max(0, l.accuracy - l.std)),
    model: r.modelAccuracy === null ? null : new Array<number>(n).fill(r.modelAccuracy),
    chance: new Array<number>(n).fill(r.chance),
  };
}

/** What the chart shows, in words (under the chart and in exported figures). */
export function probeCaption(r: ProbeResult): string[] {
  return [
    `Probe accuracy: a ridge classifier (λ = ${r.lambda}) on each layer's standardised features — the per-channel spatial mean of a conv layer after its ReLU, the units of an fc layer — scored by ${r.folds}-fold cross-validation on ${r.images} images of ${r.classes} classes (the i-th image of each class, sorted by path, in fold i mod ${r.folds}). The band is ± one standard deviation over the folds.`,
    `Model: the model's own top-1 accuracy on the same images${r.modelAccuracy === null ? ' (not available: no class folder matches a label of the model)' : ''}. Chance: the share of the most frequent class (${(100 * r.chance).toFixed(1)}%).`,
  ];
}

const csvCell = (v: string | number | null): string => (v === null ? '' : typeof v === 'number' ? String(v) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export function probeCsv(r: ProbeResult): string {
  const rows = [`layer,tensor,features,accuracy,std,${Array.from({ length: r.folds }, (_, f) => `fold_${f + 1}`).join(',')},model_accuracy,chance`];
  for (const l of r.layers) rows.push([l.layer, l.tensor, l.features, l.accuracy, l.std, ...l.foldAccuracies, r.modelAccuracy, r.chance].map(csvCell).join(','));
  return rows.join('\n') + '\n';
}

/** The CLI's JSON (`convscope probe --json`), with the fold accuracies and class names added. */
export function probeJson(r: ProbeResult): string {
  return JSON.stringify({
    model: r.model, images: r.images, classes: r.classes, classNames: r.classNames, folds: r.folds, lambda: r.lambda,
    modelAccuracy: r.modelAccuracy, chance: r.chance,
    layers: r.layers.map((l) => ({ layer: l.layer, tensor: l.tensor, features: l.features, accuracy: l.accuracy, std: l.std, foldAccuracies: l.foldAccuracies })),
    skipped: r.skipped,
  }, null, 2);
}
