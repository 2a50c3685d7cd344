import { describe, expect, it } from 'vitest';
import { boxRect, cellRect, clipBox, formatBox, patchFit } from './rf-box.ts';

describe('boxRect', () => {
  it('scales a box of model-input pixels to the displayed image', () => {
    // A 27×27 field at (3, 11) of a 64×64 input shown at 3× (192 px).
    expect(boxRect({ y0: 3, x0: 11, y1: 30, x1: 38 }, 3)).toEqual({ left: 33, top: 9, width: 81, height: 81 });
  });

  it('scales the axes separately, and shrinks for large inputs', () => {
    expect(boxRect({ y0: 0, x0: 0, y1: 224, x1: 112 }, 0.5, 0.25)).toEqual({ left: 0, top: 0, width: 56, height: 56 });
  });
});

describe('cellRect', () => {
  it('outlines one unit of an enlarged map', () => {
    expect(cellRect([2, 1], 4, 4, 160, 160)).toEqual({ left: 40, top: 80, width: 40, height: 40 });
    expect(cellRect([0, 0], 1, 1, 64, 64)).toEqual({ left: 0, top: 0, width: 64, height: 64 });
  });
});

describe('clipBox', () => {
  it('clips to the image and drops empty boxes', () => {
    expect(clipBox({ y0: -5, x0: 50, y1: 10, x1: 80 }, 64, 64)).toEqual({ y0: 0, x0: 50, y1: 10, x1: 64 });
    expect(clipBox({ y0: 70, x0: 0, y1: 80, x1: 10 }, 64, 64)).toBeNull();
  });
});

describe('patchFit', () => {
  it('enlarges small patches by a whole factor, pixelated', () => {
    expect(patchFit({ y0: 47, x0: 45, y1: 54, x1: 52 }, 120)).toEqual({ width: 119, height: 119, pixelated: true });
    expect(patchFit({ y0: 0, x0: 0, y1: 27, x1: 20 }, 120)).toEqual({ width: 80, height: 108, pixelated: true });
  });

  it('shows large patches no larger than the space, smoothly', () => {
    expect(patchFit({ y0: 0, x0: 0, y1: 224, x1: 224 }, 120)).toEqual({ width: 120, height: 120, pixelated: false });
  });
});

describe('formatBox', () => {
  it('reads as half-open ranges with the size', () => {
    expect(formatBox({ y0: 3, x0: 11, y1: 30, x1: 38 })).toBe('y 3–30, x 11–38 (27×27)');
  });
});
