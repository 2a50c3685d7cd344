// chart.js configurations of the spectra panel: the radial power profile (selected filter and layer
// mean) with the stride's Nyquist and the band edges marked, and the histogram of centroids.
import type { FilterSpectraResult } from '../../src-main/common/api-spectra.ts';
import type { ChartConfiguration, VerticalLine } from './charts.ts';
import { PALETTE } from './charts.ts';
import { niceTicks } from './figure-text.ts';

const EDGE_COLOR = '#8d929c';
const NYQUIST_COLOR = '#f0605a';

/**
 * Reference lines: the band edges 1/8 and 1/4, and 1/(2s) for each distinct stride. A Nyquist
 * frequency on a band edge (stride 2 or 4) joins that edge's line, so labels never overprint.
 */
export function spectraLines(stride: readonly [number, number], color = NYQUIST_COLOR): VerticalLine[] {
  const lines: VerticalLine[] = [
    { x: 1 / 8, label: 'low|mid', color: EDGE_COLOR },
    { x: 1 / 4, label: 'mid|high', color: EDGE_COLOR },
  ];
  return addNyquist(lines, stride, color);
}

function addNyquist(lines: VerticalLine[], stride: readonly [number, number], color: string): VerticalLine[] {
  const strides = stride[0] === stride[1] ? [stride[0]] : [...stride];
  for (const s of strides) {
    if (s <= 1) continue;
    const x = 1 / (2 * s);
    const same = lines.find((l) => l.x === x);
    const label = `Nyquist 1/${2 * s}`;
    if (same) Object.assign(same, { label: same.label?.includes(label) ? same.label : `${same.label} · ${label}`, color, dash: [2, 2] });
    else lines.push({ x, label, color, dash: [2, 2] });
  }
  return lines;
}

/** A's lines, plus B's Nyquist (in B's colour) when comparing. */
function compareLines(r: FilterSpectraResult, other: FilterSpectraResult | null): VerticalLine[] {
  const lines = spectraLines(r.stride);
  return other ? addNyquist(lines, other.stride, PALETTE[1]) : lines;
}

/** Bin centres of the radial profile, in cycles/pixel. */
export function profileRadii(r: Pick<FilterSpectraResult, 'meanProfile' | 'profileBin'>): number[] {
  return Array.from(r.meanProfile, (_, b) => (b + 0.5) * r.profileBin);
}

const modelName = (r: FilterSpectraResult) => r.model.name.replace(/\.onnx$/i, '');

/** The selected filter's profile and the layer mean; with `other`, that model's layer mean too (compare). */
export function profileChart(r: FilterSpectraResult, selected: number | null, other: FilterSpectraResult | null = null): ChartConfiguration {
  const xs = profileRadii(r);
  const B = r.meanProfile.length;
  const points = (ys: ArrayLike<number>) => xs.map((x, b) => ({ x, y: ys[b] }));
  const datasets = [
    { label: `${modelName(r)} layer mean`, data: points(r.meanProfile), borderColor: PALETTE[7], backgroundColor: PALETTE[7], borderDash: [5, 3], pointRadius: 0, borderWidth: 1.5 },
  ];
  if (other) {
    const ox = profileRadii(other);
    datasets.push({
      label: `${modelName(other)} layer mean`, data: ox.map((x, b) => ({ x, y: other.meanProfile[b] })),
      borderColor: PALETTE[1], backgroundColor: PALETTE[1], borderDash: [5, 3], pointRadius: 0, borderWidth: 1.5,
    });
  }
  if (selected !== null && selected < r.filters.length) {
    datasets.unshift({ label: `filter ${selected}`, data: points(r.profiles.subarray(selected * B, (selected + 1) * B)), borderColor: PALETTE[0], backgroundColor: PALETTE[0], borderDash: [], pointRadius: 0, borderWidth: 2 });
  }
  return {
    type: 'line',
    data: { datasets },
    options: {
      parsing: false,
      scales: {
        x: { type: 'linear', min: 0, max: Math.SQRT1_2, title: { display: true, text: 'radius r (cycles/pixel)' } },
        y: { min: 0, title: { display: true, text: 'share of power' } },
      },
      plugins: { legend: { position: 'bottom' }, verticalLines: { lines: compareLines(r, other) } } as never,
    },
  } as ChartConfiguration;
}

/**
 * Tick labels of the centroid histogram's category axis: a round value (0.1, 0.2, …) on the bin that
 * holds it, '' elsewhere, so ticks read as numbers rather than raw bin edges (0.016, 0.109, …).
 */
export function histogramTickLabels(edges: ArrayLike<number>, count = 6): string[] {
  const n = edges.length - 1;
  if (n <= 0) return [];
  const ticks = niceTicks(edges[0], edges[n], count);
  const labels = new Array<string>(n).fill('');
  for (const t of ticks) {
    for (let i = 0; i < n; i++) {
      const last = i === n - 1;
      if (t >= edges[i] && (t < edges[i + 1] || (last && t <= edges[i + 1]))) {
        if (!labels[i]) labels[i] = String(t);
        break;
      }
    }
  }
  return labels;
}

const MID_BORDER = '#3fb468';

/** The histogram's axis title: which bars are the mid band, and that there are none when none of the open model's centroids fall in it. */
export function midBandTitle(anyInMid: boolean, compared: boolean): string {
  const base = `centroid (cycles/pixel); mid band [1/8, 1/4) ${compared ? 'outlined' : 'bars'} in green`;
  return anyInMid ? base : `${base} (no centroid of this layer falls in it)`;
}

/**
 * Centroids of the live filters in bins of 1/32; bins of the mid band [1/8, 1/4) are outlined in
 * green for every model (and filled green for the open model); with `other`, its counts beside.
 */
export function centroidChart(r: FilterSpectraResult, other: FilterSpectraResult | null = null): ChartConfiguration {
  const { edges, counts } = r.centroidHistogram;
  const mid = (i: number) => (edges[i] + edges[i + 1]) / 2;
  const inMid = (i: number) => mid(i) >= 1 / 8 && mid(i) < 1 / 4;
  const outline = (n: number, e: ArrayLike<number>) =>
    Array.from({ length: n }, (_, i) => {
      const m = (e[i] + e[i + 1]) / 2;
      return m >= 1 / 8 && m < 1 / 4 ? MID_BORDER : 'rgba(0,0,0,0)';
    });
  const datasets = [{
    label: modelName(r), data: [...counts], backgroundColor: counts.map((_, i) => (inMid(i) ? PALETTE[2] : PALETTE[0])),
    borderColor: outline(counts.length, edges), borderWidth: 2, barPercentage: 1, categoryPercentage: 0.9,
  }];
  if (other) {
    const oc = other.centroidHistogram;
    datasets.push({
      label: modelName(other), data: [...oc.counts], backgroundColor: oc.counts.map(() => PALETTE[1]),
      borderColor: outline(oc.counts.length, oc.edges), borderWidth: 2, barPercentage: 1, categoryPercentage: 0.9,
    });
  }
  const tickLabels = histogramTickLabels(edges);
  return {
    type: 'bar',
    data: { labels: counts.map((_, i) => mid(i).toFixed(3)), datasets },
    options: {
      scales: {
        x: {
          title: { display: true, text: midBandTitle(counts.some((c, i) => c > 0 && inMid(i)), other !== null) },
          ticks: { autoSkip: false, maxRotation: 0, callback: (_v: unknown, i: number) => tickLabels[i] ?? '' },
        },
        y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'filters' } },
      },
      plugins: { legend: { display: other !== null, position: 'bottom' } },
    },
  } as ChartConfiguration;
}

/** What N and the filter count mean, under the spectra panel's header. */
export function spectraCaption(r: Pick<FilterSpectraResult, 'N' | 'kernel' | 'filters'>): string {
  const k = Math.max(...r.kernel);
  return `${r.filters.length} filters of ${r.kernel.join('×')}. N = ${r.N} is the FFT size, not a count: each filter is zero-padded to ${r.N}×${r.N} before its 2-D DFT `
    + `(N = the smallest power of two ≥ max(32, 4·${k})), so spectra are sampled every 1/${r.N} cycles/pixel.`;
}
