// One top-k layer as JSON, the same for `convscope topk --json` and the Top-9 view's export, so a
// file saved from the app and the CLI's output read alike. Each caller wraps the layers its own way.
import type { TopkLayerResult } from './api-topk.ts';

export interface TopkEntryJson {
  image: string;
  position: [number, number];
  value: number;
}

export interface TopkMapJson {
  channel: number;
  firingRate: number;
  meanMax: number;
  entries: TopkEntryJson[];
}

export interface TopkLayerJson {
  layer: string;
  tensor: string;
  images: number;
  failed: number;
  neverFires: number[];
  maps: TopkMapJson[];
}

/**
 * The layer without what only the app needs (each entry's index in the open folder's listing, k,
 * dims). Keys are listed one by one: their order is the order users see in the printed JSON.
 */
export function topkLayerJson(l: TopkLayerResult): TopkLayerJson {
  return {
    layer: l.layer,
    tensor: l.tensor,
    images: l.images,
    failed: l.failed,
    neverFires: l.neverFires,
    maps: l.maps.map((m) => ({
      channel: m.channel,
      firingRate: m.firingRate,
      meanMax: m.meanMax,
      entries: m.entries.map((e) => ({ image: e.image, position: e.position, value: e.value })),
    })),
  };
}
