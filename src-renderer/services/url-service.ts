// The page's place in the address bar's fragment (lib/url-state.ts): restored once the session's
// model and folder are known, and kept up to date from then on (App.svelte).
import { decodeUrlState, encodeUrlState, type UrlState } from '../lib/url-state.ts';
import { mapDims } from '../lib/layer-pick.ts';
import { session } from '../state/session.svelte.ts';
import { view } from '../state/view.svelte.ts';
import { images, selectImage, selected } from './images-service.ts';
import { layerView, refreshLayerView, selectMap } from './layers-service.ts';

/** What the page shows now, as the fragment names it. */
export function currentUrlState(): UrlState {
  return {
    view: view.current,
    index: images.selected >= 0 ? images.selected : undefined,
    image: selected.entry?.path,
    layer: layerView.layerId ?? undefined,
    map: layerView.channel ?? undefined,
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
  if (s.view) view.current = s.view;
  const maps = layer ? mapDims(layer.shape)?.[0] : undefined;
  if (s.map !== undefined && maps !== undefined && s.map < maps) selectMap(s.map);
}

/** The fragment for the page now, when it differs from `hash`; null when it is the same. */
export function fragmentIfChanged(hash: string): string | null {
  const next = encodeUrlState(currentUrlState());
  return next === (hash === '#' ? '' : hash) ? null : next;
}
