// How big to draw an image in a box, the same rule for every size: it fills the box (keeping its
// aspect), so a 28-px and a 224-px input in the same box come out about the same size. Enlarged, it
// is drawn with hard pixel edges, and takes a whole factor (every input pixel a square of one size)
// where that leaves at most 15% of the box unused.

export interface Fitted {
  width: number;
  height: number;
  /** Draw with `image-rendering: pixelated` (the image is enlarged). */
  pixelated: boolean;
}

/** A whole factor is taken when it keeps at least this share of the fitting scale. */
const WHOLE_FACTOR_KEEPS = 0.85;

export function fitImage(width: number, height: number, boxWidth: number, boxHeight: number): Fitted {
  if (width <= 0 || height <= 0 || boxWidth <= 0 || boxHeight <= 0) return { width: 0, height: 0, pixelated: false };
  const scale = Math.min(boxWidth / width, boxHeight / height);
  const k = Math.floor(scale);
  if (k >= 2 && k / scale >= WHOLE_FACTOR_KEEPS) return { width: width * k, height: height * k, pixelated: true };
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)), pixelated: scale > 1 };
}

/** The zoom an image is shown at: `19×` for a whole factor, else a percentage (`179%`, `45%`). */
export function formatZoom(shownWidth: number, naturalWidth: number): string {
  if (!(naturalWidth > 0) || !(shownWidth > 0)) return '';
  const z = shownWidth / naturalWidth;
  return Number.isInteger(z) ? `${z}×` : `${Math.round(z * 100)}%`;
}
