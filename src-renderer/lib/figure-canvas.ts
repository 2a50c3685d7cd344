// A complete figure as one PNG: a title, a grid of panels (each with a wrapped title, the picture,
// and where relevant a colour bar with its range and a legend), and caption lines under it.
import { wrapText } from './figure-text.ts';

export interface FigurePanel {
  title: string;
  /** Size of the picture in the figure, in pixels. */
  width: number;
  height: number;
  draw: (ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number) => void;
  colourBar?: { stops: readonly string[]; lo: string; hi: string };
  legend?: readonly { colour: string; label: string }[];
  note?: string;
}

export interface FigureSpec {
  title: string;
  rows: FigurePanel[][];
  caption: readonly string[];
}

const PAD = 16;
const GAP = 18;
const BG = '#1d1f24';
const TEXT = '#e4e6ea';
const MUTED = '#a3a8b2';
const FONT = 'system-ui, sans-serif';

export function loadImage(url: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('an image of the figure could not be drawn'));
    img.src = url;
  });
}

/** A panel that draws one image (a canvas, a chart, a decoded PNG) scaled to the given size. */
export function imagePanel(title: string, source: CanvasImageSource, width: number, height: number, extra: Partial<FigurePanel> = {}): FigurePanel {
  return { title, width, height, draw: (ctx, x, y, w, h) => ctx.drawImage(source, x, y, w, h), ...extra };
}

interface Laid {
  p: FigurePanel;
  titleLines: string[];
  legendLines: { colour: string; label: string }[];
  noteLines: string[];
  height: number;
}

function layPanel(ctx: CanvasRenderingContext2D, p: FigurePanel): Laid {
  const w = Math.max(p.width, 120);
  ctx.font = `600 13px ${FONT}`;
  const titleLines = wrapText(p.title, w, (s) => ctx.measureText(s).width);
  ctx.font = `11px ${FONT}`;
  const legendLines = (p.legend ?? []).flatMap((l) => wrapText(l.label, w - 16, (s) => ctx.measureText(s).width).map((label, i) => ({ colour: i === 0 ? l.colour : '', label })));
  const noteLines = p.note ? wrapText(p.note, w, (s) => ctx.measureText(s).width) : [];
  const height = titleLines.length * 17 + 4 + p.height + (p.colourBar ? 26 : 0) + (legendLines.length ? 6 + legendLines.length * 15 : 0) + (noteLines.length ? 4 + noteLines.length * 14 : 0);
  return { p, titleLines, legendLines, noteLines, height };
}

function drawPanel(ctx: CanvasRenderingContext2D, l: Laid, x: number, y: number): void {
  const { p } = l;
  ctx.fillStyle = TEXT;
  ctx.font = `600 13px ${FONT}`;
  ctx.textBaseline = 'top';
  for (const line of l.titleLines) {
    ctx.fillText(line, x, y);
    y += 17;
  }
  y += 4;
  ctx.save();
  ctx.imageSmoothingEnabled = false;
  p.draw(ctx, x, y, p.width, p.height);
  ctx.restore();
  y += p.height;
  ctx.font = `11px ${FONT}`;
  if (p.colourBar) {
    const g = ctx.createLinearGradient(x, 0, x + p.width, 0);
    p.colourBar.stops.forEach((s, i) => g.addColorStop(i / Math.max(1, p.colourBar!.stops.length - 1), s));
    ctx.fillStyle = g;
    ctx.fillRect(x, y + 4, p.width, 8);
    ctx.fillStyle = MUTED;
    ctx.fillText(p.colourBar.lo, x, y + 14);
    const hiW = ctx.measureText(p.colourBar.hi).width;
    ctx.fillText(p.colourBar.hi, x + p.width - hiW, y + 14);
    y += 26;
  }
  if (l.legendLines.length) {
    y += 6;
    for (const e of l.legendLines) {
      if (e.colour) {
        ctx.fillStyle = e.colour;
        ctx.fillRect(x, y + 1, 10, 10);
      }
      ctx.fillStyle = TEXT;
      ctx.fillText(e.label, x + 16, y);
      y += 15;
    }
  }
  if (l.noteLines.length) {
    y += 4;
    ctx.fillStyle = MUTED;
    for (const line of l.noteLines) {
      ctx.fillText(line, x, y);
      y += 14;
    }
  }
}

/** Draws the figure on a new canvas (layout measured with the canvas's own fonts). */
export function renderFigure(spec: FigureSpec): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2-D canvas to draw the figure on');
  const laid = spec.rows.map((row) => row.map((p) => layPanel(ctx, p)));
  const ncols = Math.max(1, ...laid.map((r) => r.length));
  const colW = Array.from({ length: ncols }, (_, c) => Math.max(120, ...laid.map((r) => (r[c] ? r[c].p.width : 0))));
  const rowH = laid.map((r) => Math.max(0, ...r.map((l) => l.height)));
  const gridW = colW.reduce((a, w) => a + w, 0) + GAP * (ncols - 1);
  const width = Math.max(gridW, 360) + 2 * PAD;
  ctx.font = `600 16px ${FONT}`;
  const titleLines = wrapText(spec.title, width - 2 * PAD, (s) => ctx.measureText(s).width);
  ctx.font = `11px ${FONT}`;
  const captionLines = spec.caption.flatMap((c) => wrapText(c, width - 2 * PAD, (s) => ctx.measureText(s).width));
  const height = PAD + titleLines.length * 21 + 10 + rowH.reduce((a, h) => a + h, 0) + GAP * Math.max(0, laid.length - 1) + 12 + captionLines.length * 15 + PAD;
  canvas.width = Math.ceil(width);
  canvas.height = Math.ceil(height);
  ctx.fillStyle = BG;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.textBaseline = 'top';
  let y = PAD;
  ctx.fillStyle = TEXT;
  ctx.font = `600 16px ${FONT}`;
  for (const line of titleLines) {
    ctx.fillText(line, PAD, y);
    y += 21;
  }
  y += 10;
  laid.forEach((row, r) => {
    let x = PAD;
    row.forEach((l, c) => {
      drawPanel(ctx, l, x, y);
      x += colW[c] + GAP;
    });
    y += rowH[r] + GAP;
  });
  y += 12 - GAP;
  ctx.font = `11px ${FONT}`;
  ctx.fillStyle = MUTED;
  ctx.textBaseline = 'top';
  for (const line of captionLines) {
    ctx.fillText(line, PAD, y);
    y += 15;
  }
  return canvas;
}

export async function renderFigurePng(spec: FigureSpec): Promise<Uint8Array> {
  const canvas = renderFigure(spec);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('the figure could not be encoded as PNG');
  return new Uint8Array(await blob.arrayBuffer());
}
