// What the page is looking at, in the address bar's fragment (#view=layers&i=3&image=…&layer=…&map=5):
// a reload comes back to it, and a link opened in the same browser session shows the same thing.
// Only what names a place in the open model and folder; the model and folder themselves are the
// server's state (getState), and the token never goes here (session-token.ts). A view's settings
// go here too, where they differ from the defaults (url-service.ts leaves defaults out).
import { TRANSFORM_KINDS, type ThetaRangeSpec, type TransformKind } from '../../src-main/common/api-invariance.ts';

export const VIEWS = ['model', 'image', 'layers', 'filters', 'invariance', 'topk', 'occlusion', 'correspondence', 'training', 'probes'] as const;
export type UrlView = (typeof VIEWS)[number];

export interface UrlState {
  view?: UrlView;
  /** The selected image: its index in the folder listing, and its path to check the index still names it. */
  index?: number;
  image?: string;
  /** The layer browser's layer and map. */
  layer?: string;
  map?: number;
  /** The Occlusion view's occluder side and stride, class, and the map whose activity it follows. */
  occlusion?: { size?: number; stride?: number; targetClass?: number; layer?: string; channel?: number };
  /** The Invariance view's transform, the ranges changed from the defaults, and its layers. */
  invariance?: { transform?: TransformKind; ranges?: Partial<Record<TransformKind, ThetaRangeSpec>>; layers?: string[] };
}

/** The invariance view takes at most this many layers (the sweep's schema). */
const MAX_LAYERS = 32;
/** The fragment's short names: `it` transform, `r-<kind>` a range, `il` a layer (repeated); `o…` occlusion. */
const OCCLUSION_KEYS = { size: 'os', stride: 'ot', targetClass: 'oc', layer: 'ol', channel: 'om' } as const;

const MAX_TEXT = 1000;

function count(v: string | null): number | undefined {
  if (v === null || !/^\d{1,9}$/.test(v)) return undefined;
  return Number(v);
}

function text(v: string | null): string | undefined {
  return v !== null && v.length > 0 && v.length <= MAX_TEXT ? v : undefined;
}

/** `from,to,steps`: two finite numbers and a step count of 1…1000 (the sweep's θ limit). */
function range(v: string | null): ThetaRangeSpec | undefined {
  const parts = v?.split(',') ?? [];
  if (parts.length !== 3 || parts.some((x) => x.trim() === '' || x.length > 24)) return undefined;
  const [from, to, steps] = parts.map(Number);
  if (!Number.isFinite(from) || !Number.isFinite(to) || !Number.isInteger(steps) || steps < 1 || steps > 1000) return undefined;
  return { from, to, steps };
}

function decodeOcclusion(p: URLSearchParams): UrlState['occlusion'] {
  const o: NonNullable<UrlState['occlusion']> = {};
  const size = count(p.get(OCCLUSION_KEYS.size));
  if (size !== undefined && size > 0) o.size = size;
  const stride = count(p.get(OCCLUSION_KEYS.stride));
  if (stride !== undefined && stride > 0) o.stride = stride;
  const targetClass = count(p.get(OCCLUSION_KEYS.targetClass));
  if (targetClass !== undefined) o.targetClass = targetClass;
  // A map is a layer and a channel together.
  const layer = text(p.get(OCCLUSION_KEYS.layer));
  const channel = count(p.get(OCCLUSION_KEYS.channel));
  if (layer !== undefined && channel !== undefined) Object.assign(o, { layer, channel });
  return Object.keys(o).length ? o : undefined;
}

function decodeInvariance(p: URLSearchParams): UrlState['invariance'] {
  const o: NonNullable<UrlState['invariance']> = {};
  const transform = p.get('it');
  if (transform !== null && (TRANSFORM_KINDS as readonly string[]).includes(transform)) o.transform = transform as TransformKind;
  const ranges: Partial<Record<TransformKind, ThetaRangeSpec>> = {};
  for (const kind of TRANSFORM_KINDS) {
    const r = range(p.get(`r-${kind}`));
    if (r) ranges[kind] = r;
  }
  if (Object.keys(ranges).length) o.ranges = ranges;
  const layers = p.getAll('il').map(text);
  if (layers.length > 0 && layers.length <= MAX_LAYERS && layers.every((l) => l !== undefined)) o.layers = layers as string[];
  return Object.keys(o).length ? o : undefined;
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
  const occlusion = decodeOcclusion(p);
  if (occlusion) out.occlusion = occlusion;
  const invariance = decodeInvariance(p);
  if (invariance) out.invariance = invariance;
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
  const o = s.occlusion ?? {};
  for (const key of ['size', 'stride', 'targetClass'] as const) {
    const v = o[key];
    if (v !== undefined) p.set(OCCLUSION_KEYS[key], String(v));
  }
  if (o.layer !== undefined && o.channel !== undefined) {
    p.set(OCCLUSION_KEYS.layer, o.layer);
    p.set(OCCLUSION_KEYS.channel, String(o.channel));
  }
  const inv = s.invariance ?? {};
  if (inv.transform) p.set('it', inv.transform);
  for (const kind of TRANSFORM_KINDS) {
    const r = inv.ranges?.[kind];
    if (r) p.set(`r-${kind}`, `${r.from},${r.to},${r.steps}`);
  }
  for (const l of inv.layers ?? []) p.append('il', l);
  const q = p.toString();
  return q ? `#${q}` : '';
}
