// The feature-map grid's arithmetic: display order, columns, keyboard moves, cell sizes, and where
// a click inside an enlarged map lands in map coordinates.

/** Channels in display order: as they are, or by maximum activation, strongest first (ties by channel). */
export function displayOrder(maxima: ArrayLike<number>, byMax: boolean): number[] {
  const order = Array.from({ length: maxima.length }, (_, c) => c);
  if (!byMax) return order;
  const key = (c: number) => (Number.isFinite(maxima[c]) ? maxima[c] : -Infinity);
  return order.sort((a, b) => key(b) - key(a) || a - b);
}

/** How many cells of `cell` px fit in a row of `width` px with `gap` px between them (at least 1). */
export function gridColumns(width: number, cell: number, gap: number): number {
  if (!(width > 0) || !(cell > 0)) return 1;
  return Math.max(1, Math.floor((width + gap) / (cell + gap)));
}

export type GridMove = 'left' | 'right' | 'up' | 'down' | 'home' | 'end';

/**
 * The channel a key moves to from `current` in a grid showing `order` in rows of `cols`. Left/right
 * step through the order, up/down by a row (staying put at the edges); no selection starts at the first.
 */
export function moveInGrid(order: readonly number[], current: number | null, move: GridMove, cols: number): number | null {
  if (order.length === 0) return null;
  const i = current === null ? -1 : order.indexOf(current);
  if (i < 0) return order[move === 'end' ? order.length - 1 : 0];
  const step = Math.max(1, cols);
  let j = i;
  if (move === 'left') j = i - 1;
  else if (move === 'right') j = i + 1;
  else if (move === 'up') j = i - step >= 0 ? i - step : i;
  else if (move === 'down') j = i + step < order.length ? i + step : i;
  else if (move === 'home') j = 0;
  else j = order.length - 1;
  return order[Math.min(order.length - 1, Math.max(0, j))];
}

/**
 * The map position (y, x) under a point (px, py) of an element showing an H×W map at
 * `width`×`height` CSS pixels; points on or past an edge land in the edge cell.
 */
export function positionAt(px: number, py: number, width: number, height: number, H: number, W: number): [number, number] {
  const cell = (p: number, extent: number, n: number) => {
    if (!(extent > 0) || n <= 0) return 0;
    return Math.min(n - 1, Math.max(0, Math.floor((p / extent) * n)));
  };
  return [cell(py, height, H), cell(px, width, W)];
}

/** Row-major index of the largest value of a map (the first of equal maxima), as (y, x). */
export function argmaxPosition(data: Float32Array, offset: number, H: number, W: number): [number, number] {
  let best = 0;
  let bestV = -Infinity;
  for (let i = 0; i < H * W; i++) {
    const v = data[offset + i];
    if (v > bestV) {
      bestV = v;
      best = i;
    }
  }
  return [Math.floor(best / W), best % W];
}

/**
 * Edge of one grid cell in CSS px: maps are enlarged by a whole factor towards `target` (so every
 * unit stays a crisp square) and larger maps are shown at `target`. Units of fc layers (1×1) get small swatches.
 */
export function cellSize(H: number, W: number, target: number): number {
  const side = Math.max(H, W);
  if (side <= 1) return Math.max(24, Math.round(target / 3));
  if (side >= target) return target;
  return side * Math.max(1, Math.round(target / side));
}

const GRID_KEYS: Record<string, GridMove> = { ArrowLeft: 'left', ArrowRight: 'right', ArrowUp: 'up', ArrowDown: 'down', Home: 'home', End: 'end' };

/** The grid move a key press asks for; null for other keys and for modifier combinations (left to the browser). */
export function gridMoveForKey(e: { key: string; altKey: boolean; ctrlKey: boolean; metaKey: boolean }): GridMove | null {
  if (e.altKey || e.ctrlKey || e.metaKey) return null;
  return GRID_KEYS[e.key] ?? null;
}
