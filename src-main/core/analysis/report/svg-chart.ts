// Small SVG line and bar charts for the report, with a title, labelled axes (units), ticks and a
// legend: readable in print, no script, no chart library.
import { escapeXml } from '../../../common/graph-svg.ts';

export interface Series {
  label: string;
  /** y per x; NaN or ±Infinity leaves a gap. */
  y: readonly number[];
  colour: string;
  dashed?: boolean;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  x: readonly number[];
  /** Category names instead of numeric x ticks (one per x). */
  categories?: readonly string[];
  series: Series[];
  yRange?: [number, number];
  width?: number;
  height?: number;
}

export const COLOURS = ['#1f5fbf', '#d9480f', '#2b8a3e', '#862e9c', '#c92a2a', '#5c940d', '#0b7285', '#e67700', '#495057', '#a61e4d'];

const f = (v: number) => String(Math.round(v * 100) / 100);

/** About 5 round tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

export function lineChart(c: LineChart): string {
  const W = c.width ?? 420;
  const H = (c.height ?? 230) + 16 * Math.ceil(c.series.length / 2);
  const m = { l: 56, r: 12, t: 30, b: 44 + 16 * Math.ceil(c.series.length / 2) };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const xs = c.x;
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  const finite = c.series.flatMap((s) => s.y.filter(Number.isFinite));
  const [y0, y1] = c.yRange ?? [Math.min(0, ...finite), Math.max(1e-9, ...finite)];
  const px = (x: number) => m.l + (x1 > x0 ? ((x - x0) / (x1 - x0)) * pw : pw / 2);
  const py = (y: number) => m.t + ph - ((Math.min(y1, Math.max(y0, y)) - y0) / (y1 - y0 || 1)) * ph;
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeXml(c.title)}" font-family="system-ui, sans-serif" font-size="11">`];
  out.push(`<text x="${W / 2}" y="16" text-anchor="middle" font-size="12.5" font-weight="600">${escapeXml(c.title)}</text>`);
  for (const t of ticks(y0, y1)) {
    out.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${f(py(t))}" y2="${f(py(t))}" stroke="#e3e3e3"/><text x="${m.l - 5}" y="${f(py(t) + 3.5)}" text-anchor="end">${escapeXml(String(t))}</text>`);
  }
  const xTicks = c.categories ? xs.map((x, i) => [x, c.categories![i]] as const) : ticks(x0, x1, 6).map((t) => [t, String(t)] as const);
  for (const [x, label] of xTicks) out.push(`<text x="${f(px(x))}" y="${m.t + ph + 14}" text-anchor="middle">${escapeXml(label)}</text>`);
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${m.l + pw / 2}" y="${m.t + ph + 30}" text-anchor="middle">${escapeXml(c.xLabel)}</text>`);
  out.push(`<text transform="translate(14,${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(c.yLabel)}</text>`);
  for (const s of c.series) {
    const runs: string[][] = [[]];
    s.y.forEach((y, i) => (Number.isFinite(y) ? runs[runs.length - 1].push(`${f(px(xs[i]))},${f(py(y))}`) : runs.push([])));
    for (const r of runs.filter((r) => r.length)) {
      out.push(`<polyline points="${r.join(' ')}" fill="none" stroke="${s.colour}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
      if (r.length === 1) out.push(`<circle cx="${r[0].split(',')[0]}" cy="${r[0].split(',')[1]}" r="2.5" fill="${s.colour}"/>`);
    }
  }
  c.series.forEach((s, i) => {
    const lx = m.l + (i % 2) * (pw / 2);
    const ly = H - m.b + 46 + 16 * Math.floor(i / 2);
    out.push(`<line x1="${lx}" x2="${lx + 16}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/><text x="${lx + 20}" y="${ly}">${escapeXml(s.label.length > 28 ? `${s.label.slice(0, 27)}…` : s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('');
}
