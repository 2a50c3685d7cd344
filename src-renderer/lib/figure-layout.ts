// Where everything of a figure goes: title, a grid of panels (wrapped title, picture, colour bar,
// legend, note), caption lines. One layout, painted either on a canvas (PNG) or as SVG, so the two
// exports of a figure are the same figure.
import { wrapText } from './figure-text.ts';

export interface FigurePanel {
  title: string;
  /** Size of the picture in the figure, in pixels. */
  width: number;
  height: number;
  draw: (ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number) => void;
  colourBar?: { stops: readonly string[]; lo: string; hi: string };
  /**
   * Entries below the picture. `colour`: a swatch of it before the label; with `dash` the swatch is
   * a line drawn with that dash (a dashed series); without `colour` the entry is text alone.
   */
  legend?: readonly { colour?: string; dash?: readonly number[]; label: string }[];
  note?: string;
}

export interface FigureSpec {
  title: string;
  rows: FigurePanel[][];
  caption: readonly string[];
  /** Extra space after column c (`[0, 0, 24]`: a wider gap between the third and fourth columns). */
  columnGaps?: readonly number[];
}

export const FIGURE_COLOURS = { background: '#1d1f24', text: '#e4e6ea', muted: '#a3a8b2' } as const;
export const FIGURE_FONT = 'system-ui, sans-serif';

/** Text styles: size in px, weight, and the line height the layout gives them. */
export const TEXT_STYLES = {
  title: { size: 16, weight: 600, line: 21 },
  panelTitle: { size: 13, weight: 600, line: 17 },
  small: { size: 11, weight: 400, line: 15 },
  note: { size: 11, weight: 400, line: 14 },
} as const;
export type TextStyle = keyof typeof TEXT_STYLES;

export function cssFont(style: TextStyle): string {
  const s = TEXT_STYLES[style];
  return `${s.weight === 400 ? '' : `${s.weight} `}${s.size}px ${FIGURE_FONT}`;
}

export type FigureItem =
  | { kind: 'text'; x: number; y: number; text: string; style: TextStyle; colour: string; width: number }
  | { kind: 'swatch'; x: number; y: number; w: number; h: number; colour: string }
  /** A legend's sample of a line series: a horizontal line through the middle of its box. */
  | { kind: 'line'; x: number; y: number; w: number; h: number; colour: string; dash: readonly number[]; lineWidth: number }
  | { kind: 'bar'; x: number; y: number; w: number; h: number; stops: readonly string[] }
  | { kind: 'picture'; x: number; y: number; w: number; h: number; panel: FigurePanel };

export interface FigureLayout {
  width: number;
  height: number;
  background: string;
  items: FigureItem[];
}

/** Width of `text` in `style` (a canvas's measureText in the renderer). */
export type Measure = (text: string, style: TextStyle) => number;

const PAD = 16;
const GAP = 18;
const MIN_COL = 120;

function panelItems(p: FigurePanel, measure: Measure): { items: FigureItem[]; height: number } {
  const w = Math.max(p.width, MIN_COL);
  const items: FigureItem[] = [];
  let y = 0;
  const text = (s: string, style: TextStyle, x: number, colour: string) => {
    items.push({ kind: 'text', x, y, text: s, style, colour, width: measure(s, style) });
    y += TEXT_STYLES[style].line;
  };
  for (const line of wrapText(p.title, w, (s) => measure(s, 'panelTitle'))) text(line, 'panelTitle', 0, FIGURE_COLOURS.text);
  y += 4;
  items.push({ kind: 'picture', x: 0, y, w: p.width, h: p.height, panel: p });
  y += p.height;
  if (p.colourBar) {
    items.push({ kind: 'bar', x: 0, y: y + 4, w: p.width, h: 8, stops: p.colourBar.stops });
    const hiW = measure(p.colourBar.hi, 'small');
    items.push({ kind: 'text', x: 0, y: y + 14, text: p.colourBar.lo, style: 'small', colour: FIGURE_COLOURS.muted, width: measure(p.colourBar.lo, 'small') });
    items.push({ kind: 'text', x: Math.max(measure(p.colourBar.lo, 'small') + 8, p.width - hiW), y: y + 14, text: p.colourBar.hi, style: 'small', colour: FIGURE_COLOURS.muted, width: hiW });
    y += 26;
  }
  if (p.legend?.length) {
    y += 6;
    for (const l of p.legend) {
      const lineSample = l.colour !== undefined && l.dash !== undefined;
      const indent = l.colour === undefined ? 0 : lineSample ? 28 : 16;
      wrapText(l.label, w - indent, (s) => measure(s, 'small')).forEach((line, i) => {
        if (i === 0 && l.colour !== undefined) {
          items.push(lineSample
            ? { kind: 'line', x: 0, y: y + 1, w: 22, h: 10, colour: l.colour, dash: l.dash!, lineWidth: 2 }
            : { kind: 'swatch', x: 0, y: y + 1, w: 10, h: 10, colour: l.colour });
        }
        text(line, 'small', indent, FIGURE_COLOURS.text);
      });
    }
  }
  if (p.note) {
    y += 4;
    for (const line of wrapText(p.note, w, (s) => measure(s, 'note'))) text(line, 'note', 0, FIGURE_COLOURS.muted);
  }
  return { items, height: y };
}

function shifted(item: FigureItem, dx: number, dy: number): FigureItem {
  return { ...item, x: item.x + dx, y: item.y + dy };
}

export function layoutFigure(spec: FigureSpec, measure: Measure): FigureLayout {
  const laid = spec.rows.map((row) => row.map((p) => ({ p, ...panelItems(p, measure) })));
  const ncols = Math.max(1, ...laid.map((r) => r.length));
  const colW = Array.from({ length: ncols }, (_, c) => Math.max(MIN_COL, ...laid.map((r) => (r[c] ? r[c].p.width : 0))));
  const rowH = laid.map((r) => Math.max(0, ...r.map((l) => l.height)));
  const extra = (c: number) => (c < ncols - 1 ? (spec.columnGaps?.[c] ?? 0) : 0);
  const gridW = colW.reduce((a, w, c) => a + w + extra(c), 0) + GAP * (ncols - 1);
  const width = Math.ceil(Math.max(gridW, 360) + 2 * PAD);
  const items: FigureItem[] = [];
  let y = PAD;
  for (const line of wrapText(spec.title, width - 2 * PAD, (s) => measure(s, 'title'))) {
    items.push({ kind: 'text', x: PAD, y, text: line, style: 'title', colour: FIGURE_COLOURS.text, width: measure(line, 'title') });
    y += TEXT_STYLES.title.line;
  }
  y += 10;
  laid.forEach((row, r) => {
    let x = PAD;
    row.forEach((l, c) => {
      for (const item of l.items) items.push(shifted(item, x, y));
      x += colW[c] + GAP + extra(c);
    });
    y += rowH[r] + (r < laid.length - 1 ? GAP : 0);
  });
  y += 12;
  for (const line of spec.caption.flatMap((c) => wrapText(c, width - 2 * PAD, (s) => measure(s, 'small')))) {
    items.push({ kind: 'text', x: PAD, y, text: line, style: 'small', colour: FIGURE_COLOURS.muted, width: measure(line, 'small') });
    y += TEXT_STYLES.small.line;
  }
  return { width, height: Math.ceil(y + PAD), background: FIGURE_COLOURS.background, items };
}
