import { describe, expect, it } from 'vitest';
import { ownsKeys, tabKeyTarget } from './tabs.ts';

describe('tabKeyTarget', () => {
  it('moves left/right with wrapping, Home/End to the ends, ignores other keys', () => {
    expect(tabKeyTarget('ArrowRight', 0, 6)).toBe(1);
    expect(tabKeyTarget('ArrowRight', 5, 6)).toBe(0);
    expect(tabKeyTarget('ArrowLeft', 0, 6)).toBe(5);
    expect(tabKeyTarget('ArrowLeft', 3, 6)).toBe(2);
    expect(tabKeyTarget('Home', 4, 6)).toBe(0);
    expect(tabKeyTarget('End', 1, 6)).toBe(5);
    expect(tabKeyTarget('ArrowDown', 1, 6)).toBeNull();
    expect(tabKeyTarget('Enter', 1, 6)).toBeNull();
    expect(tabKeyTarget('ArrowRight', 0, 0)).toBeNull();
  });
});

describe('ownsKeys', () => {
  const el = (tagName: string, inside: string | null = null, isContentEditable = false) => ({
    tagName,
    isContentEditable,
    closest: (sel: string) => (inside && sel.includes(`"${inside}"`) ? {} : null),
  });

  it('leaves arrow keys to inputs, selects, text areas, editable text and tabs', () => {
    expect(ownsKeys(el('INPUT'))).toBe(true);
    expect(ownsKeys(el('select'))).toBe(true);
    expect(ownsKeys(el('TEXTAREA'))).toBe(true);
    expect(ownsKeys(el('DIV', null, true))).toBe(true);
    expect(ownsKeys(el('BUTTON', 'tab'))).toBe(true);
    expect(ownsKeys(el('DIV', 'slider'))).toBe(true);
  });

  it('lets the page have them elsewhere', () => {
    expect(ownsKeys(el('BODY'))).toBe(false);
    expect(ownsKeys(el('BUTTON'))).toBe(false);
    expect(ownsKeys(null)).toBe(false);
  });
});
