// How big to draw an image in a box: tiny images (e.g. 28×28) are enlarged by a whole factor and
// drawn with hard pixel edges, so every input pixel stays visible as a square.

export interface Fitted {
  width: number;
  height: number;
  /** Draw with `image-rendering: pixelated`. */
  pixelated: boolean;
}

/** Below this many pixels on the longer side an image counts as tiny. */
export const TINY = 160;

export function fitImage(width: number, height: number, boxWidth: number, boxHeight: number): Fitted {
  if (width <= 0 || height <= 0 || boxWidth <= 0 || boxHeight <= 0) return { width: 0, height: 0, pixelated: false };
  const scale = Math.min(boxWidth / width, boxHeight / height);
  const tiny = Math.max(width, height) < TINY;
  if (tiny && scale >= 1) {
    const k = Math.floor(scale);
    return { width: width * k, height: height * k, pixelated: true };
  }
  // Larger images are never enlarged past their own size.
  const s = Math.min(1, scale);
  return { width: Math.max(1, Math.round(width * s)), height: Math.max(1, Math.round(height * s)), pixelated: tiny };
}
