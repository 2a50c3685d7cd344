// The page's place in the address bar's fragment (lib/url-state.ts): restored once the session's
// model and folder are known, and kept up to date from then on (App.svelte).
import { defaultInvarianceLayers, defaultInvarianceRange, TRANSFORM_KINDS, type ThetaRangeSpec, type TransformKind } from '../../src-main/common/api-invariance.ts';
import { decodeUrlState, encodeUrlState, type UrlState } from '../lib/url-state.ts';
import { mapDims } from '../lib/layer-pick.ts';
import { session } from '../state/session.svelte.ts';
import { view } from '../state/view.svelte.ts';
import { images, selectImage, selected } from './images-service.ts';
import { inv, settingsFitModel, syncModel } from './invariance-service.ts';
import { layerView, refreshLayerView, selectMap } from './layers-service.ts';
import { occlusion } from './occlusion-service.ts';

function occlusionSettings(): UrlState['occlusion'] {
  const o: NonNullable<UrlState['occlusion']> = {};
  if (occlusion.size !== null) o.size = occlusion.size;
  if (occlusion.stride !== null) o.stride = occlusion.stride;
  if (occlusion.targetClass !== null) o.targetClass = occlusion.targetClass;
  if (occlusion.layer !== null && occlusion.channel !== null) Object.assign(o, { layer: occlusion.layer, channel: occlusion.channel });
  return Object.keys(o).length ? o : undefined;
}

const sameRange = (a: ThetaRangeSpec, b: ThetaRangeSpec) => a.from === b.from && a.to === b.to && a.steps === b.steps;

/** The invariance view's settings where they differ from the open model's defaults. */
function invarianceSettings(): UrlState['invariance'] {
  const model = session.model;
  // Another model's settings, until the view syncs them, are not this model's place.
  if (!model || !inv.ranges || !settingsFitModel()) return undefined;
  const o: NonNullable<UrlState['invariance']> = {};
  if (inv.transform !== 'translate-y') o.transform = inv.transform;
  const size: [number, number] = [model.input.height, model.input.width];
  const ranges: Partial<Record<TransformKind, ThetaRangeSpec>> = {};
  for (const kind of TRANSFORM_KINDS) if (!sameRange(inv.ranges[kind], defaultInvarianceRange(kind, size))) ranges[kind] = inv.ranges[kind];
  if (Object.keys(ranges).length) o.ranges = ranges;
  if (inv.layers.join('\n') !== defaultInvarianceLayers(model.layers).join('\n')) o.layers = inv.layers;
  return Object.keys(o).length ? o : undefined;
}

function restoreOcclusion(s: UrlState['occlusion']): void {
  const model = session.model;
  if (!s || !model) return;
  const side = Math.min(model.input.height, model.input.width);
  if (s.size !== undefined && s.size <= side) occlusion.size = s.size;
  if (s.stride !== undefined && s.stride <= side) occlusion.stride = s.stride;
  if (s.targetClass !== undefined && s.targetClass < model.numClasses) occlusion.targetClass = s.targetClass;
  const layer = s.layer !== undefined ? model.layers.find((l) => l.id === s.layer && l.kind === 'conv') : undefined;
  const maps = layer ? mapDims(layer.shape)?.[0] : undefined;
  if (layer && s.channel !== undefined && maps !== undefined && s.channel < maps) {
    occlusion.layer = layer.id;
    occlusion.channel = s.channel;
  }
}

function restoreInvariance(s: UrlState['invariance']): void {
  // The model's defaults first, so the view (which syncs on mount) keeps what the fragment says.
  syncModel();
  const model = session.model;
  if (!s || !model || !inv.ranges) return;
  if (s.transform) inv.transform = s.transform;
  for (const kind of TRANSFORM_KINDS) {
    const r = s.ranges?.[kind];
    if (r) inv.setRange(kind, r);
  }
  const ids = new Set(model.layers.map((l) => l.id));
  const layers = s.layers?.filter((l) => ids.has(l)) ?? [];
  if (layers.length) inv.layers = layers;
}

/** What the page shows now, as the fragment names it. */
export function currentUrlState(): UrlState {
  return {
    view: view.current,
    index: images.selected >= 0 ? images.selected : undefined,
    image: selected.entry?.path,
    layer: layerView.layerId ?? undefined,
    map: layerView.channel ?? undefined,
    occlusion: occlusionSettings(),
    invariance: invarianceSettings(),
  };
}

/** Goes back to the place the fragment names, as far as the open model and folder still have it. */
export async function restoreFromUrl(hash: string): Promise<void> {
  const s = decodeUrlState(hash);
  if (s.index !== undefined && s.image !== undefined) {
    const entry = await images.load(s.index).catch(() => undefined);
    if (entry?.path === s.image) await selectImage(s.index);
  }
  const layer = s.layer !== undefined ? session.model?.layers.find((l) => l.id === s.layer) : undefined;
  if (layer && layerView.layerId !== layer.id) {
    layerView.layerId = layer.id;
    refreshLayerView();
  }
  restoreOcclusion(s.occlusion);
  restoreInvariance(s.invariance);
  if (s.view) view.current = s.view;
  const maps = layer ? mapDims(layer.shape)?.[0] : undefined;
  if (s.map !== undefined && maps !== undefined && s.map < maps) selectMap(s.map);
}

/** The fragment for the page now, when it differs from `hash`; null when it is the same. */
export function fragmentIfChanged(hash: string): string | null {
  const next = encodeUrlState(currentUrlState());
  return next === (hash === '#' ? '' : hash) ? null : next;
}
