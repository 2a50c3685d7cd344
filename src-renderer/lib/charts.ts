// chart.js, registered once with the parts the views use (tree-shaken), and the app's dark theme.
import {
  BarController, BarElement, CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement,
  ScatterController, Tooltip, type LegendItem, type Plugin,
} from 'chart.js';
import { labelRows } from './figure-text.ts';

Chart.register(
  BarController, BarElement, CategoryScale, Filler, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement,
  ScatterController, Tooltip,
);

Chart.defaults.color = '#8d929c';
Chart.defaults.borderColor = '#34373e';
Chart.defaults.font.size = 11;
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;

/** What a legend entry's sample needs to know of its dataset. */
export interface LegendDataset {
  borderColor?: unknown;
  borderDash?: number[];
  borderWidth?: unknown;
  fill?: unknown;
  showLine?: boolean;
}

/**
 * How a series is sampled in its legend: a line series (a line chart's curve, not a filled band) as a
 * short line in its colour, width and dash, so a dashed "layer mean" or "chance" reads as the dashed
 * line it is; anything else (bars, bands, scatter points) as a box. chart.js's own sample is a box
 * filled with the background colour and outlined with the dash, a grey blur at 11 px.
 */
export function legendSample(ds: LegendDataset, type: string): Pick<LegendItem, 'pointStyle' | 'lineDash' | 'lineWidth' | 'strokeStyle'> | null {
  const line = (type === 'line' && (ds.fill === undefined || ds.fill === false)) || (type === 'scatter' && ds.showLine === true);
  if (!line) return null;
  return {
    pointStyle: 'line',
    lineDash: ds.borderDash ?? [],
    lineWidth: typeof ds.borderWidth === 'number' ? Math.max(1.5, ds.borderWidth) : 1.5,
    ...(typeof ds.borderColor === 'string' ? { strokeStyle: ds.borderColor } : {}),
  };
}

const chartLegendLabels = Chart.defaults.plugins.legend.labels.generateLabels;

/** Every chart's legend: line samples for line series (legendSample), boxes for the rest. */
function seriesLegendLabels(chart: Chart): LegendItem[] {
  return chartLegendLabels(chart).map((item) => {
    const i = item.datasetIndex;
    if (i === undefined) return item;
    const sample = legendSample(chart.data.datasets[i] as LegendDataset, chart.getDatasetMeta(i).type);
    return sample ? { ...item, ...sample } : { ...item, pointStyle: 'rect' };
  });
}

// Samples drawn as point styles, 28 px wide: room for two dashes of a [6, 4] line.
Chart.defaults.plugins.legend.labels.usePointStyle = true;
Chart.defaults.plugins.legend.labels.pointStyleWidth = 28;
Chart.defaults.plugins.legend.labels.generateLabels = seriesLegendLabels;

/** A categorical palette readable on the dark panels (curve per image, model A/B, …). */
export const PALETTE = ['#4f9dff', '#f0a04b', '#3fb468', '#e0607e', '#a884ff', '#5cc8c8', '#d6c23a', '#b0b4bc', '#ff7f50', '#7fb0ff'];

export interface VerticalLine {
  x: number;
  label?: string;
  color?: string;
  dash?: number[];
}

/**
 * Vertical reference lines at data x-values (Nyquist of a stride, band edges), drawn after the
 * datasets. Pass the lines in the chart's `options.plugins.verticalLines.lines`.
 */
export const verticalLines: Plugin<'line' | 'scatter' | 'bar'> = {
  id: 'verticalLines',
  afterDatasetsDraw(chart, _args, options) {
    const lines = ((options as { lines?: VerticalLine[] }).lines ?? []);
    const { ctx, chartArea, scales } = chart;
    const x = scales.x;
    if (!x || !chartArea) return;
    ctx.save();
    ctx.font = '10px system-ui, sans-serif';
    const shown = lines
      .map((l) => ({ l, px: x.getPixelForValue(l.x) }))
      .filter(({ px }) => Number.isFinite(px) && px >= chartArea.left && px <= chartArea.right);
    // Labels right of their line, or left when they would leave the chart; rows so none overprint.
    const boxes = shown.map(({ l, px }) => {
      const width = l.label ? ctx.measureText(l.label).width : 0;
      const right = px + 3 + width <= chartArea.right;
      return { x: right ? px + 3 : Math.max(chartArea.left, px - 3 - width), width };
    });
    const rows = labelRows(boxes.map((b, i) => (shown[i].l.label ? b : { x: -1e9, width: 0 })), 6);
    shown.forEach(({ l, px }, i) => {
      ctx.strokeStyle = l.color ?? '#8d929c';
      ctx.fillStyle = l.color ?? '#8d929c';
      ctx.setLineDash(l.dash ?? [4, 3]);
      ctx.beginPath();
      ctx.moveTo(px, chartArea.top);
      ctx.lineTo(px, chartArea.bottom);
      ctx.stroke();
      if (l.label) ctx.fillText(l.label, boxes[i].x, chartArea.top + 10 + rows[i] * 12);
    });
    ctx.restore();
  },
};

export { Chart };
export type { ChartConfiguration, ChartType, TooltipItem } from 'chart.js';
