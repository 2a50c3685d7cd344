// A complete figure as PNG (title, panels with colour bars and legends, caption lines) or as SVG
// (the same layout: text and colour bars as vectors, each panel's picture embedded as PNG).
import { cssFont, layoutFigure, type FigureItem, type FigureLayout, type FigurePanel, type FigureSpec, type TextStyle, TEXT_STYLES, FIGURE_FONT } from './figure-layout.ts';
import { withTextChunks } from '../../src-main/common/png-text.ts';

export type { FigurePanel, FigureSpec } from './figure-layout.ts';

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

function context2d(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2-D canvas to draw the figure on');
  return ctx;
}

/** The figure's layout, measured with the canvas's own fonts. */
function layout(spec: FigureSpec): FigureLayout {
  const ctx = context2d(document.createElement('canvas'));
  return layoutFigure(spec, (text: string, style: TextStyle) => {
    ctx.font = cssFont(style);
    return ctx.measureText(text).width;
  });
}

function paint(ctx: CanvasRenderingContext2D, item: FigureItem): void {
  switch (item.kind) {
    case 'text':
      ctx.font = cssFont(item.style);
      ctx.fillStyle = item.colour;
      ctx.textBaseline = 'top';
      ctx.fillText(item.text, item.x, item.y);
      return;
    case 'swatch':
      ctx.fillStyle = item.colour;
      ctx.fillRect(item.x, item.y, item.w, item.h);
      return;
    case 'line':
      ctx.save();
      ctx.strokeStyle = item.colour;
      ctx.lineWidth = item.lineWidth;
      ctx.setLineDash([...item.dash]);
      ctx.beginPath();
      ctx.moveTo(item.x, item.y + item.h / 2);
      ctx.lineTo(item.x + item.w, item.y + item.h / 2);
      ctx.stroke();
      ctx.restore();
      return;
    case 'bar': {
      const g = ctx.createLinearGradient(item.x, 0, item.x + item.w, 0);
      item.stops.forEach((s, i) => g.addColorStop(i / Math.max(1, item.stops.length - 1), s));
      ctx.fillStyle = g;
      ctx.fillRect(item.x, item.y, item.w, item.h);
      return;
    }
    case 'picture':
      ctx.save();
      ctx.imageSmoothingEnabled = false;
      item.panel.draw(ctx, item.x, item.y, item.w, item.h);
      ctx.restore();
  }
}

/** Draws the figure on a new canvas. */
export function renderFigure(spec: FigureSpec): HTMLCanvasElement {
  const l = layout(spec);
  const canvas = document.createElement('canvas');
  canvas.width = l.width;
  canvas.height = l.height;
  const ctx = context2d(canvas);
  ctx.fillStyle = l.background;
  ctx.fillRect(0, 0, l.width, l.height);
  for (const item of l.items) paint(ctx, item);
  return canvas;
}

/** The figure as PNG bytes, its title and caption also in the PNG's own text chunks. */
export async function renderFigurePng(spec: FigureSpec): Promise<Uint8Array> {
  const canvas = renderFigure(spec);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('the figure could not be encoded as PNG');
  return withTextChunks(new Uint8Array(await blob.arrayBuffer()), { Title: spec.title, Description: spec.caption.join('\n'), Software: 'Convscope' });
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
const n = (v: number) => String(Math.round(v * 100) / 100);

/** One panel's picture drawn alone, as a PNG data URL to embed. */
function pictureUrl(panel: FigurePanel, w: number, h: number): string {
  const c = document.createElement('canvas');
  c.width = Math.max(1, Math.round(w));
  c.height = Math.max(1, Math.round(h));
  const ctx = context2d(c);
  ctx.imageSmoothingEnabled = false;
  panel.draw(ctx, 0, 0, c.width, c.height);
  return c.toDataURL('image/png');
}

/** The figure as an SVG document: text stays text, colour bars are gradients. */
export function renderFigureSvg(spec: FigureSpec): string {
  const l = layout(spec);
  const defs: string[] = [];
  const body = l.items.map((item) => {
    switch (item.kind) {
      case 'text': {
        const s = TEXT_STYLES[item.style];
        // Canvas text is laid out from its top; SVG's y is the baseline, about 0.8 em lower.
        return `<text x="${n(item.x)}" y="${n(item.y + s.size * 0.8)}" font-size="${s.size}" font-weight="${s.weight}" fill="${item.colour}">${esc(item.text)}</text>`;
      }
      case 'swatch':
        return `<rect x="${n(item.x)}" y="${n(item.y)}" width="${n(item.w)}" height="${n(item.h)}" fill="${esc(item.colour)}"/>`;
      case 'line': {
        const dash = item.dash.length ? ` stroke-dasharray="${item.dash.map(n).join(' ')}"` : '';
        return `<line x1="${n(item.x)}" y1="${n(item.y + item.h / 2)}" x2="${n(item.x + item.w)}" y2="${n(item.y + item.h / 2)}" stroke="${esc(item.colour)}" stroke-width="${n(item.lineWidth)}"${dash}/>`;
      }
      case 'bar': {
        const id = `bar${defs.length}`;
        const stops = item.stops.map((s, i) => `<stop offset="${n(i / Math.max(1, item.stops.length - 1))}" stop-color="${esc(s)}"/>`).join('');
        defs.push(`<linearGradient id="${id}" x1="0" x2="1" y1="0" y2="0">${stops}</linearGradient>`);
        return `<rect x="${n(item.x)}" y="${n(item.y)}" width="${n(item.w)}" height="${n(item.h)}" fill="url(#${id})"/>`;
      }
      case 'picture':
        return `<image x="${n(item.x)}" y="${n(item.y)}" width="${n(item.w)}" height="${n(item.h)}" style="image-rendering:pixelated" href="${pictureUrl(item.panel, item.w, item.h)}"/>`;
    }
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${l.width}" height="${l.height}" viewBox="0 0 ${l.width} ${l.height}" font-family="${esc(FIGURE_FONT)}">`,
    `<title>${esc(spec.title)}</title>`,
    `<desc>${esc(spec.caption.join('\n'))}</desc>`,
    defs.length ? `<defs>${defs.join('')}</defs>` : '',
    `<rect width="100%" height="100%" fill="${l.background}"/>`,
    ...body,
    '</svg>',
  ].join('\n');
}
