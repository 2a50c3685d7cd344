// Invariance results → chart series (one curve per image plus the mean), CSV, and the image choice
// helpers of the invariance view. Pure functions, no DOM.
import type { InvarianceImageResult, TransformKind } from '../../src-main/common/api-invariance.ts';
import type { ImageEntry } from '../../src-main/common/types.ts';
import { thetaProblem } from '../../src-main/common/limits.ts';
import { shortLayerName } from './format.ts';

export type DistanceScale = 'absolute' | 'normalized';

/** One sweep of one transform, as the view holds it while chunks arrive. */
export interface SweepRun {
  transform: TransformKind;
  thetas: number[];
  layers: string[];
  labels: string[];
  images: InvarianceImageResult[];
}

export interface Series {
  label: string;
  /** Index into run.images, or -1 for the mean. */
  image: number;
  points: { x: number; y: number }[];
}

export const TRANSFORM_LABELS: Record<TransformKind, string> = {
  'translate-x': 'Horizontal translation',
  'translate-y': 'Vertical translation',
  scale: 'Scale',
  rotate: 'Rotation',
};

export const THETA_UNITS: Record<TransformKind, string> = {
  'translate-x': 'pixels (→)',
  'translate-y': 'pixels (↓)',
  scale: 'factor',
  rotate: 'degrees',
};

/**
 * Why P(true class) has no meaning for a run, or null when it has. Without a class from the folder
 * the core falls back to each image's own top-1 class (DESIGN §3), which for an untrained or
 * unfamiliar model is a flat line near 0 that reads as a finding; the view says so instead.
 */
export function pTrueUnavailable(images: Pick<InvarianceImageResult, 'path' | 'trueFrom'>[]): string | null {
  if (images.length === 0 || images.some((i) => i.trueFrom === 'folder')) return null;
  return images.some((i) => i.path.includes('/'))
    ? "not available (the folder's class sub-folders do not name the model's classes)"
    : 'not available (the folder has no class sub-folders)';
}

/** The transforms of the paper's Fig. 5, side by side. */
export const FIG5_TRANSFORMS: TransformKind[] = ['translate-y', 'scale', 'rotate'];

/** A chart's title: `Scale — distance, relu1/Relu`, or `Rotation — P(true class)` (layer null). */
export function chartTitle(transform: TransformKind, layer: string | null, scale: DistanceScale): string {
  if (layer === null) return `${TRANSFORM_LABELS[transform]} — P(true class)`;
  return `${TRANSFORM_LABELS[transform]} — ${scale === 'absolute' ? 'distance' : 'normalised distance'}, ${shortLayerName(layer)}`;
}

/** The file name without folders and extension: `bag/00018.png` → `00018`. */
export function imageName(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? path;
  return base.replace(/\.[^.]+$/, '');
}

function valuesOf(r: InvarianceImageResult, what: { layer: string; scale: DistanceScale } | 'pTrue'): Float32Array {
  if (what === 'pTrue') return r.pTrue;
  return (what.scale === 'absolute' ? r.distance : r.normalized)[what.layer] ?? new Float32Array(0);
}

/** Element-wise mean over the images (finite values only; NaN where there are none). */
export function meanCurve(rows: ArrayLike<number>[], length: number): number[] {
  return Array.from({ length }, (_, t) => {
    let s = 0;
    let n = 0;
    for (const r of rows) {
      const v = r[t];
      if (Number.isFinite(v)) {
        s += v;
        n++;
      }
    }
    return n ? s / n : Number.NaN;
  });
}

/**
 * An image's curve as the legend names it, saying what its P row draws: the true class when the
 * folder gave one; the class of its own top-1 when some other image of the run has a true class (the
 * P row is drawn, and this curve is P of that class); nothing when no image has one (the P row says
 * "not available", so a class index here would name something not drawn).
 */
export function curveLabel(r: Pick<InvarianceImageResult, 'path' | 'trueClass' | 'trueFrom'>, noTrueClass: boolean): string {
  if (r.trueFrom === 'folder') return `${imageName(r.path)} (${r.trueClass})`;
  return noTrueClass ? imageName(r.path) : `${imageName(r.path)} (P of its top-1 class: ${r.trueClass})`;
}

/** The curves of one chart: each image, then the mean of all (when there is more than one image). */
export function seriesFor(run: SweepRun, what: { layer: string; scale: DistanceScale } | 'pTrue'): Series[] {
  const rows = run.images.map((r) => valuesOf(r, what));
  const noTrueClass = pTrueUnavailable(run.images) !== null;
  const out: Series[] = run.images.map((r, i) => ({
    label: curveLabel(r, noTrueClass),
    image: i,
    points: run.thetas.map((x, t) => ({ x, y: rows[i][t] })),
  }));
  if (run.images.length > 1) {
    const mean = meanCurve(rows, run.thetas.length);
    out.push({ label: 'mean', image: -1, points: run.thetas.map((x, t) => ({ x, y: mean[t] })) });
  }
  return out;
}

function csvField(v: string | number): string {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per run, image and θ: distances (absolute and normalised) per layer, P(true class), top-1. */
export function sweepCsv(runs: SweepRun[]): string {
  const layers = [...new Set(runs.flatMap((r) => r.layers))];
  const head = ['transform', 'image', 'true_class', 'true_from', 'theta', ...layers.flatMap((l) => [`d ${l}`, `d_norm ${l}`]), 'p_true', 'top1'];
  const lines = [head.map(csvField).join(',')];
  for (const run of runs) {
    for (const img of run.images) {
      run.thetas.forEach((theta, t) => {
        const cells: (string | number)[] = [run.transform, img.path, img.trueClass, img.trueFrom, theta];
        for (const l of layers) {
          const d = img.distance[l];
          cells.push(d ? d[t] : '', img.normalized[l] ? img.normalized[l][t] : '');
        }
        cells.push(img.pTrue[t], run.labels[img.top1[t]] ?? img.top1[t]);
        lines.push(cells.map(csvField).join(','));
      });
    }
  }
  return lines.join('\n') + '\n';
}

/** Up to n images of each class, in folder order (classless images count as one class). */
export function perClass(entries: readonly ImageEntry[], n: number): ImageEntry[] {
  const counts = new Map<string, number>();
  const out: ImageEntry[] = [];
  for (const e of entries) {
    const k = e.className ?? '';
    const c = counts.get(k) ?? 0;
    if (c >= n) continue;
    counts.set(k, c + 1);
    out.push(e);
  }
  return out;
}

/** Checks a range form: a message to show, or null when it is usable. */
/** What is wrong with a range in the form, checked as the server will check it (common/limits.ts); `inputSize` [H, W] of the open model. */
export function rangeProblem(transform: TransformKind, from: number, to: number, steps: number, inputSize: readonly [number, number] | null = null): string | null {
  if (!Number.isFinite(from) || !Number.isFinite(to)) return 'The range needs two numbers.';
  if (!Number.isInteger(steps) || steps < 1 || steps > 1000) return 'Steps must be a whole number from 1 to 1000.';
  if (transform === 'scale' && (from <= 0 || to <= 0)) return 'Scale factors must be positive.';
  for (const t of [from, to]) {
    const problem = thetaProblem(transform, t, inputSize);
    if (problem) return `${t} ${problem}.`;
  }
  return null;
}

/** The look of image i's curve: its palette colour, dashed from the second round of colours on. */
export function curveStyle(image: number, palette: readonly string[]): { colour: string; dash: number[] } {
  if (image < 0) return { colour: '#f1f2f4', dash: [] };
  return { colour: palette[image % palette.length], dash: Math.floor(image / palette.length) % 2 === 1 ? [5, 3] : [] };
}

export interface CurveLegendEntry {
  label: string;
  colour: string;
  dash: number[];
  mean: boolean;
}

/** The legend of Fig. 5: each image's curve by name (and true class), then the mean, drawn distinct. */
export function curveLegend(series: readonly Pick<Series, 'label' | 'image'>[], palette: readonly string[]): CurveLegendEntry[] {
  const images = series.filter((s) => s.image >= 0).map((s) => ({ label: s.label, ...curveStyle(s.image, palette), mean: false }));
  const mean = series.find((s) => s.image < 0);
  return mean ? [...images, { label: `mean of the ${images.length} images (thick, white)`, ...curveStyle(-1, palette), mean: true }] : images;
}
