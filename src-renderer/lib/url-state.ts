// What the page is looking at, in the address bar's fragment (#view=layers&i=3&image=…&layer=…&map=5):
// a reload comes back to it, and a link opened in the same browser session shows the same thing.
// Only what names a place in the open model and folder; the model and folder themselves are the
// server's state (getState), and the token never goes here (session-token.ts).

export const VIEWS = ['image', 'layers', 'filters', 'invariance', 'topk', 'occlusion'] as const;
export type UrlView = (typeof VIEWS)[number];

export interface UrlState {
  view?: UrlView;
  /** The selected image: its index in the folder listing, and its path to check the index still names it. */
  index?: number;
  image?: string;
  /** The layer browser's layer and map. */
  layer?: string;
  map?: number;
}

const MAX_TEXT = 1000;

function count(v: string | null): number | undefined {
  if (v === null || !/^\d{1,9}$/.test(v)) return undefined;
  return Number(v);
}

function text(v: string | null): string | undefined {
  return v !== null && v.length > 0 && v.length <= MAX_TEXT ? v : undefined;
}

/** The state a fragment names; anything missing, malformed or unknown is left out. */
export function decodeUrlState(hash: string): UrlState {
  const p = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const view = p.get('view');
  const out: UrlState = {};
  if (view !== null && (VIEWS as readonly string[]).includes(view)) out.view = view as UrlView;
  const index = count(p.get('i'));
  if (index !== undefined) out.index = index;
  const image = text(p.get('image'));
  if (image !== undefined) out.image = image;
  const layer = text(p.get('layer'));
  if (layer !== undefined) out.layer = layer;
  const map = count(p.get('map'));
  if (map !== undefined) out.map = map;
  return out;
}

/** The fragment for a state ('' when there is nothing to say). Order is fixed, so equal states give equal strings. */
export function encodeUrlState(s: UrlState): string {
  const p = new URLSearchParams();
  if (s.view && s.view !== 'image') p.set('view', s.view);
  if (s.index !== undefined && s.index >= 0) p.set('i', String(s.index));
  if (s.image) p.set('image', s.image);
  if (s.layer) p.set('layer', s.layer);
  if (s.map !== undefined && s.map >= 0) p.set('map', String(s.map));
  const q = p.toString();
  return q ? `#${q}` : '';
}
