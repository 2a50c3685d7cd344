import { describe, expect, it } from 'vitest';
import { itemsPerPage, scrollToReveal, visibleRange } from './virtual-window.ts';

describe('visibleRange', () => {
  it('covers the items under the viewport, partially visible ones included', () => {
    expect(visibleRange({ scroll: 0, viewport: 300, itemSize: 100, count: 50 })).toEqual({ start: 0, end: 3 });
    expect(visibleRange({ scroll: 150, viewport: 300, itemSize: 100, count: 50 })).toEqual({ start: 1, end: 5 });
  });

  it('adds overscan on both sides and clamps to the list', () => {
    expect(visibleRange({ scroll: 150, viewport: 300, itemSize: 100, count: 50, overscan: 2 })).toEqual({ start: 0, end: 7 });
    expect(visibleRange({ scroll: 4700, viewport: 300, itemSize: 100, count: 50, overscan: 2 })).toEqual({ start: 45, end: 50 });
  });

  it('renders only a handful of a 10,000-item list', () => {
    const r = visibleRange({ scroll: 500_000, viewport: 1200, itemSize: 78, count: 10_000, overscan: 6 });
    expect(r.end - r.start).toBeLessThan(40);
    expect(r.start).toBe(Math.floor(500_000 / 78) - 6);
  });

  it('is empty for an empty list or an unmeasured viewport', () => {
    expect(visibleRange({ scroll: 0, viewport: 300, itemSize: 100, count: 0 })).toEqual({ start: 0, end: 0 });
    expect(visibleRange({ scroll: 0, viewport: 0, itemSize: 100, count: 10 })).toEqual({ start: 0, end: 0 });
  });

  it('stays inside the list when scrolled past the end (e.g. after the list shrank)', () => {
    expect(visibleRange({ scroll: 99_999, viewport: 300, itemSize: 100, count: 5, overscan: 1 })).toEqual({ start: 5, end: 5 });
    expect(visibleRange({ scroll: -50, viewport: 300, itemSize: 100, count: 5 })).toEqual({ start: 0, end: 3 });
  });
});

describe('scrollToReveal', () => {
  it('leaves the scroll alone when the item is in view', () => {
    expect(scrollToReveal(2, 100, 400, 100)).toBeNull();
  });

  it('scrolls back to an item before the viewport', () => {
    expect(scrollToReveal(0, 250, 400, 100)).toBe(0);
    expect(scrollToReveal(3, 350, 400, 100, 50)).toBe(250);
  });

  it('scrolls forward just enough for an item past the viewport', () => {
    expect(scrollToReveal(5, 0, 400, 100)).toBe(200);
    expect(scrollToReveal(5, 0, 400, 100, 50)).toBe(250);
  });
});

describe('itemsPerPage', () => {
  it('counts whole items, at least one', () => {
    expect(itemsPerPage(800, 78)).toBe(10);
    expect(itemsPerPage(50, 78)).toBe(1);
  });
});
