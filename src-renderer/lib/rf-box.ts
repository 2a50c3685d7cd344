// Receptive-field boxes on screen: a box in model-input pixels drawn over an image shown at some
// scale, and the size of the enlarged patch cut from under it.
import type { PixelBox } from '../../src-main/common/api.ts';
import { fitImage, type Fitted } from './fit.ts';

export interface CssRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The box clipped to an H×W image; null when nothing of it is left. */
export function clipBox(box: PixelBox, H: number, W: number): PixelBox | null {
  const y0 = Math.max(0, Math.min(H, box.y0));
  const y1 = Math.max(0, Math.min(H, box.y1));
  const x0 = Math.max(0, Math.min(W, box.x0));
  const x1 = Math.max(0, Math.min(W, box.x1));
  return y1 > y0 && x1 > x0 ? { y0, x0, y1, x1 } : null;
}

/** Where a box of an image's pixels lies when that image is drawn `scaleY`×`scaleX` times its size. */
export function boxRect(box: PixelBox, scaleX: number, scaleY: number = scaleX): CssRect {
  return {
    left: box.x0 * scaleX,
    top: box.y0 * scaleY,
    width: (box.x1 - box.x0) * scaleX,
    height: (box.y1 - box.y0) * scaleY,
  };
}

/** The box of one map cell (y, x) of an H×W map shown at `width`×`height` px. */
export function cellRect(position: readonly [number, number], H: number, W: number, width: number, height: number): CssRect {
  const sx = W > 0 ? width / W : 0;
  const sy = H > 0 ? height / H : 0;
  return boxRect({ y0: position[0], x0: position[1], y1: position[0] + 1, x1: position[1] + 1 }, sx, sy);
}

/** How big to draw the patch under a box within `maxSide`: tiny patches are enlarged by a whole factor, pixelated. */
export function patchFit(box: PixelBox, maxSide: number): Fitted {
  return fitImage(box.x1 - box.x0, box.y1 - box.y0, maxSide, maxSide);
}

/** `[y0, y1) × [x0, x1)` as text: `y 3–30, x 11–38 (27×27)`. */
export function formatBox(box: PixelBox): string {
  return `y ${box.y0}–${box.y1}, x ${box.x0}–${box.x1} (${box.y1 - box.y0}×${box.x1 - box.x0})`;
}
