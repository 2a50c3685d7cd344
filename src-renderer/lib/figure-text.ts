// Text of exported and on-screen figures: file names with one extension, the caption line naming
// model, layer, image and date, word wrapping, and label rows that never overprint.

const KNOWN_EXT = /\.(png|jpe?g|bmp|gif|webp|tiff?|onnx|npy|csv|json|svg)$/i;

/** One file-name part: extensions of images and models dropped, unsafe characters folded to `_`. */
export function fileNamePart(s: string): string {
  let base = s;
  while (KNOWN_EXT.test(base)) base = base.replace(KNOWN_EXT, '');
  return base.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[_.]+|[_.]+$/g, '');
}

/** `occlusion-img00.png` from ('occlusion', 'cats/img00.png') and 'png': one extension, whatever the parts held. */
export function exportFileName(parts: readonly string[], ext: string): string {
  const base = parts.map(fileNamePart).filter((p) => p.length > 0).join('-') || 'figure';
  return `${base}.${ext.replace(/^\.+/, '')}`;
}

export interface CaptionParts {
  model?: string | null;
  layer?: string | null;
  image?: string | null;
  date: Date;
}

/** `model alexnet.onnx · layer conv5 · image cats/img00.png · 2026-11-29 02:30 UTC` (absent parts left out). */
export function captionLine(c: CaptionParts): string {
  const parts: string[] = [];
  if (c.model) parts.push(`model ${c.model}`);
  if (c.layer) parts.push(`layer ${c.layer}`);
  if (c.image) parts.push(`image ${c.image}`);
  parts.push(`${c.date.toISOString().slice(0, 16).replace('T', ' ')} UTC`);
  return parts.join(' · ');
}

/** Greedy word wrap to `maxWidth`; a word longer than the width is broken at characters. */
export function wrapText(text: string, maxWidth: number, measure: (s: string) => number): string[] {
  const lines: string[] = [];
  let line = '';
  const push = (word: string) => {
    const tryLine = line ? `${line} ${word}` : word;
    if (measure(tryLine) <= maxWidth) {
      line = tryLine;
      return;
    }
    if (line) lines.push(line);
    line = '';
    // Long unbroken words (paths, tensor names) are split where they no longer fit.
    let rest = word;
    while (measure(rest) > maxWidth && rest.length > 1) {
      let n = rest.length - 1;
      while (n > 1 && measure(rest.slice(0, n)) > maxWidth) n--;
      lines.push(rest.slice(0, n));
      rest = rest.slice(n);
    }
    line = rest;
  };
  for (const word of text.split(/\s+/).filter(Boolean)) push(word);
  if (line) lines.push(line);
  return lines;
}

/**
 * Rows for labels anchored at x (pixels, left edge) with a width: each label goes to the first row
 * where it clears the previous label by `gap`, so no two labels overprint.
 */
export function labelRows(labels: readonly { x: number; width: number }[], gap = 4): number[] {
  const rowEnds: number[] = [];
  const order = labels.map((_, i) => i).sort((a, b) => labels[a].x - labels[b].x);
  const rows = new Array<number>(labels.length).fill(0);
  for (const i of order) {
    const { x, width } = labels[i];
    let r = rowEnds.findIndex((end) => x >= end + gap);
    if (r < 0) r = rowEnds.length;
    rowEnds[r] = x + width;
    rows[i] = r;
  }
  return rows;
}

/** 1, 2, 5 × 10^k steps: about `count` round ticks covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max < min) [min, max] = [max, min];
  if (max === min) return [min];
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9) + (step / mag === 2.5 ? 1 : 0));
  const out: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toFixed(decimals)));
  return out;
}
