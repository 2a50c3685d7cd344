// Saving a figure in the format the user picked: PNG (pixels, title and caption in its text chunks)
// or SVG (the same layout with text as text, for papers and slides).
import { downloadBytes } from './download.ts';
import { renderFigurePng, renderFigureSvg, type FigureSpec } from './figure-canvas.ts';
import { exportFileName } from './figure-text.ts';

export type FigureFormat = 'png' | 'svg';

export async function saveFigure(spec: FigureSpec, nameParts: readonly string[], format: FigureFormat): Promise<void> {
  if (format === 'svg') {
    downloadBytes(new TextEncoder().encode(renderFigureSvg(spec)), exportFileName(nameParts, 'svg'), 'image/svg+xml');
  } else {
    downloadBytes(await renderFigurePng(spec), exportFileName(nameParts, 'png'), 'image/png');
  }
}
