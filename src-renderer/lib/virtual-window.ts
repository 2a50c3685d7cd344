// Window arithmetic for a one-dimensional virtual list of equally sized items.

export interface WindowInput {
  /** Scroll offset along the list axis, in pixels. */
  scroll: number;
  /** Visible extent of the viewport along the list axis, in pixels. */
  viewport: number;
  itemSize: number;
  count: number;
  /** Extra items rendered on each side so fast scrolling does not show gaps. */
  overscan?: number;
}

/** Items to render: indices `start` (inclusive) to `end` (exclusive). */
export interface ItemRange {
  start: number;
  end: number;
}

export function visibleRange({ scroll, viewport, itemSize, count, overscan = 0 }: WindowInput): ItemRange {
  if (count <= 0 || itemSize <= 0 || viewport <= 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, scroll) / itemSize);
  const last = Math.ceil((Math.max(0, scroll) + viewport) / itemSize);
  const start = clamp(first - overscan, 0, count);
  const end = clamp(last + overscan, start, count);
  return { start, end };
}

/** The scroll offset that brings item `index` fully into view, or null when it already is. */
export function scrollToReveal(index: number, scroll: number, viewport: number, itemSize: number, margin = 0): number | null {
  const begin = index * itemSize;
  const end = begin + itemSize;
  if (begin - margin < scroll) return Math.max(0, begin - margin);
  if (end + margin > scroll + viewport) return Math.max(0, end + margin - viewport);
  return null;
}

/** How many whole items fit in the viewport (at least one), e.g. for PageUp/PageDown. */
export function itemsPerPage(viewport: number, itemSize: number): number {
  if (itemSize <= 0) return 1;
  return Math.max(1, Math.floor(viewport / itemSize));
}

export function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
