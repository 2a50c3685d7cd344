import { describe, expect, it } from 'vitest';
import { argmaxPosition, cellSize, displayOrder, gridColumns, gridMoveForKey, moveInGrid, positionAt } from './map-grid.ts';

describe('displayOrder', () => {
  it('keeps channel order, or sorts strongest first with ties by channel and NaN last', () => {
    const maxima = new Float32Array([1, 5, Number.NaN, 5, 0]);
    expect(displayOrder(maxima, false)).toEqual([0, 1, 2, 3, 4]);
    expect(displayOrder(maxima, true)).toEqual([1, 3, 0, 4, 2]);
  });
});

describe('gridColumns', () => {
  it('counts the cells that fit with gaps between them', () => {
    expect(gridColumns(700, 64, 6)).toBe(10); // 10·64 + 9·6 = 694
    expect(gridColumns(693, 64, 6)).toBe(9);
    expect(gridColumns(0, 64, 6)).toBe(1);
    expect(gridColumns(30, 64, 6)).toBe(1);
  });
});

describe('moveInGrid', () => {
  const order = [4, 2, 0, 1, 3, 5, 6]; // 7 maps in rows of 3
  it('steps through the display order left and right, stopping at the ends', () => {
    expect(moveInGrid(order, 0, 'right', 3)).toBe(1);
    expect(moveInGrid(order, 0, 'left', 3)).toBe(2);
    expect(moveInGrid(order, 4, 'left', 3)).toBe(4);
    expect(moveInGrid(order, 6, 'right', 3)).toBe(6);
  });

  it('moves by a row up and down, staying put where there is no row', () => {
    expect(moveInGrid(order, 2, 'down', 3)).toBe(3);
    expect(moveInGrid(order, 3, 'up', 3)).toBe(2);
    expect(moveInGrid(order, 2, 'up', 3)).toBe(2);
    expect(moveInGrid(order, 5, 'down', 3)).toBe(5); // index 5 + 3 is past the end
    expect(moveInGrid(order, 1, 'down', 3)).toBe(6);
  });

  it('starts at the first (or last) map without a selection, and handles home/end and empty grids', () => {
    expect(moveInGrid(order, null, 'right', 3)).toBe(4);
    expect(moveInGrid(order, null, 'end', 3)).toBe(6);
    expect(moveInGrid(order, 1, 'home', 3)).toBe(4);
    expect(moveInGrid(order, 1, 'end', 3)).toBe(6);
    expect(moveInGrid([], 1, 'right', 3)).toBeNull();
  });
});

describe('positionAt', () => {
  it('maps a click in an enlarged map to the (y, x) cell under it', () => {
    // A 4×4 map shown at 160×160: cells of 40 px.
    expect(positionAt(0, 0, 160, 160, 4, 4)).toEqual([0, 0]);
    expect(positionAt(39.9, 40, 160, 160, 4, 4)).toEqual([1, 0]);
    expect(positionAt(125, 81, 160, 160, 4, 4)).toEqual([2, 3]);
  });

  it('handles non-square maps and clamps edges and outside points', () => {
    expect(positionAt(199, 10, 200, 100, 2, 8)).toEqual([0, 7]);
    expect(positionAt(200, 100, 200, 100, 2, 8)).toEqual([1, 7]);
    expect(positionAt(-5, -5, 200, 100, 2, 8)).toEqual([0, 0]);
    expect(positionAt(3, 3, 0, 0, 2, 8)).toEqual([0, 0]);
  });

  it('always lands on (0, 0) for a 1×1 unit', () => {
    expect(positionAt(50, 50, 64, 64, 1, 1)).toEqual([0, 0]);
  });
});

describe('argmaxPosition', () => {
  it('finds the first largest value of the map at an offset', () => {
    const data = new Float32Array([9, 9, 0, 1, 3, 3, 2, 0]);
    expect(argmaxPosition(data, 2, 2, 3)).toEqual([0, 2]); // values 0 1 3 / 3 2 0
    expect(argmaxPosition(new Float32Array(4), 0, 2, 2)).toEqual([0, 0]);
  });
});

describe('cellSize', () => {
  it('enlarges small maps by a whole factor and caps large ones', () => {
    expect(cellSize(4, 4, 64)).toBe(64);
    expect(cellSize(13, 13, 64)).toBe(65);
    expect(cellSize(32, 32, 64)).toBe(64);
    expect(cellSize(27, 27, 64)).toBe(54);
    expect(cellSize(110, 110, 64)).toBe(64);
    expect(cellSize(1, 1, 64)).toBe(24);
  });
});

describe('gridMoveForKey', () => {
  const key = (k: string, mods: Partial<{ altKey: boolean; ctrlKey: boolean; metaKey: boolean }> = {}) => ({ key: k, altKey: false, ctrlKey: false, metaKey: false, ...mods });
  it('maps arrows, Home and End, and leaves other keys and modifier combinations alone', () => {
    expect(gridMoveForKey(key('ArrowLeft'))).toBe('left');
    expect(gridMoveForKey(key('ArrowDown'))).toBe('down');
    expect(gridMoveForKey(key('End'))).toBe('end');
    expect(gridMoveForKey(key('a'))).toBeNull();
    expect(gridMoveForKey(key('ArrowLeft', { ctrlKey: true }))).toBeNull();
  });
});
