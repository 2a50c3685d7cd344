// Watching a long job from inside the page: a click that starts it, its progress indicator and the
// state that says its result is on screen, timed with the page's own clock from the click (no
// Playwright round trips between two looks, so a count that moves once, quickly, is not missed).
import { expect, type Page } from '@playwright/test';

/**
 * Where a job shows how far it is. `done` is read from `attr` of the first element matching
 * `selector` (a number), or with `attr: 'count-text'` from its text's `N / M` (N). Without `attr`
 * the indicator has no count (a one-shot request): only when it shows is recorded.
 */
export interface Indicator {
  selector: string;
  attr?: string;
}

/** The job's result is shown once an element matches `selector` (and, with `text`, has that text, or with `contains`, contains it). */
export interface Ready {
  selector: string;
  text?: string;
  contains?: string;
}

export interface WatchSpec {
  /** Clicked in the page to start the job; without it the job started on its own, and the watch times from now. */
  click?: string;
  indicator: Indicator;
  ready: Ready;
}

export interface WatchReport {
  /** ms from the click: the indicator first on screen, its count first above 0 (or above its first value), the result on screen. */
  shownAt: number | null;
  advancedAt: number | null;
  readyAt: number | null;
  /** Each distinct count the indicator showed, with when (ms from the click). */
  counts: { t: number; done: number }[];
}

// The e2e tsconfig has no DOM types: the page's globals as far as the in-page code needs them.
interface PageElement {
  textContent: string | null;
  getAttribute(name: string): string | null;
  click(): void;
}
interface PageGlobals {
  document: { body: unknown; querySelector(selector: string): PageElement | null };
  MutationObserver: new (callback: () => void) => { observe(target: unknown, options: Record<string, boolean>): void; disconnect(): void };
  requestAnimationFrame(callback: () => void): number;
  performance: { now(): number };
  __jobWatch?: Record<string, WatchReport & { stop: boolean }>;
}

/** Arms a watch named `name` and clicks `spec.click` (if any) in the same turn of the page's event loop. */
export async function startWatch(app: Page, name: string, spec: WatchSpec): Promise<void> {
  await app.evaluate(
    ({ name, spec }) => {
      const g = globalThis as unknown as PageGlobals;
      const target = spec.click === undefined ? null : g.document.querySelector(spec.click);
      if (spec.click !== undefined && !target) throw new Error(`nothing to click matches ${spec.click}`);
      const w: WatchReport & { stop: boolean } = { shownAt: null, advancedAt: null, readyAt: null, counts: [], stop: false };
      (g.__jobWatch ??= {})[name] = w;
      const t0 = g.performance.now();
      const readDone = (el: PageElement): number | null => {
        const a = spec.indicator.attr;
        if (!a) return null;
        const raw = a === 'count-text' ? (el.textContent ?? '').match(/([\d,]+)\s*\/\s*[\d,]+/)?.[1]?.replace(/,/g, '') : el.getAttribute(a);
        const n = raw === undefined || raw === null || raw === '' ? NaN : Number(raw);
        return Number.isFinite(n) ? n : null;
      };
      const look = () => {
        if (w.stop) return;
        const t = g.performance.now() - t0;
        const el = g.document.querySelector(spec.indicator.selector);
        if (el) {
          w.shownAt ??= t;
          const done = readDone(el);
          if (done !== null && w.counts.at(-1)?.done !== done) {
            w.counts.push({ t, done });
            if (w.advancedAt === null && (done > 0 || done > w.counts[0].done)) w.advancedAt = t;
          }
        }
        const ready = g.document.querySelector(spec.ready.selector);
        const text = ready?.textContent?.trim() ?? '';
        if (ready && (spec.ready.text === undefined || text === spec.ready.text) && (spec.ready.contains === undefined || text.includes(spec.ready.contains))) {
          w.readyAt = t;
          w.stop = true;
          observer.disconnect();
        }
      };
      const observer = new g.MutationObserver(look);
      observer.observe(g.document.body, { subtree: true, childList: true, attributes: true, characterData: true });
      const frame = () => {
        look();
        if (!w.stop) g.requestAnimationFrame(frame);
      };
      target?.click();
      g.requestAnimationFrame(frame);
    },
    { name, spec },
  );
}

export async function readWatch(app: Page, name: string): Promise<WatchReport> {
  return app.evaluate((name) => {
    const w = (globalThis as unknown as PageGlobals).__jobWatch?.[name];
    if (!w) throw new Error(`no watch named ${name}`);
    return { shownAt: w.shownAt, advancedAt: w.advancedAt, readyAt: w.readyAt, counts: w.counts };
  }, name);
}

/** Waits for the watched job's result to show and returns what was seen on the way. */
export async function waitWatch(app: Page, name: string, timeout: number): Promise<WatchReport> {
  await expect.poll(async () => (await readWatch(app, name)).readyAt, { timeout, message: `${name}: its result shows` }).not.toBeNull();
  return readWatch(app, name);
}

/** When the job first showed that it moved: its count above its start, or its result (a job done before it counted). */
export function firstMove(r: WatchReport): number | null {
  const times = [r.advancedAt, r.readyAt].filter((t): t is number => t !== null);
  return times.length ? Math.min(...times) : null;
}

const ms = (v: number | null) => (v === null ? '—' : `${Math.round(v)} ms`);

export function describeWatch(name: string, r: WatchReport): string {
  const counts = r.counts.length ? ` · counts ${r.counts.slice(0, 4).map((c) => c.done).join(', ')}${r.counts.length > 4 ? `, … (${r.counts.length} in all)` : ''}` : '';
  return `${name}: shown ${ms(r.shownAt)} · advanced ${ms(r.advancedAt)} · result ${ms(r.readyAt)}${counts}`;
}
