// Keyboard of a tab list (WAI-ARIA tabs pattern, automatic activation): Left/Right move to the
// previous/next tab, wrapping; Home/End to the first/last. And which key events belong to the
// focused control rather than to the app's global image navigation.

/** The tab `key` moves to from tab `index` of `count`; null for keys the tab list does not handle. */
export function tabKeyTarget(key: string, index: number, count: number): number | null {
  if (count <= 0) return null;
  switch (key) {
    case 'ArrowRight':
      return (index + 1) % count;
    case 'ArrowLeft':
      return (index - 1 + count) % count;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}

/** What `ownsKeys` needs of an event's target (an Element). */
export interface KeyTarget {
  tagName: string;
  isContentEditable?: boolean;
  closest?(selector: string): unknown;
}

const FORM_TAGS = new Set(['INPUT', 'TEXTAREA', 'SELECT']);
/** Widgets whose own keyboard uses the arrow keys (lists handle theirs and stop the event). */
const KEYED_ROLES = '[role="tab"], [role="tablist"], [role="slider"], [role="radiogroup"]';

/**
 * Whether a key event from `target` is the focused control's own (typing, a select, a tab list…),
 * so the global arrow-key navigation must leave it alone.
 */
export function ownsKeys(target: KeyTarget | null): boolean {
  if (!target) return false;
  if (target.isContentEditable || FORM_TAGS.has(target.tagName.toUpperCase())) return true;
  return Boolean(target.closest?.(KEYED_ROLES));
}
