// Contract entries for top-k scans (issue 7; DESIGN §3 "Top-k"). Owned by that feature.
import type { PixelBox } from './types.ts';

/** One of the k strongest images of a feature map (DESIGN §3 "Top-k"). */
export interface TopkEntry {
  /** Folder-relative path. */
  image: string;
  /** Index of the image in the open folder's listing (for opening it), −1 when it is not listed. */
  index: number;
  /** (y, x) of the map's maximum. */
  position: [number, number];
  value: number;
}

export interface TopkMap {
  channel: number;
  /** Share of the scanned images whose map maximum is > 0. */
  firingRate: number;
  /** Mean of the map maxima over the scanned images. */
  meanMax: number;
  entries: TopkEntry[];
}

export interface TopkLayerResult {
  /** The layer as asked for. */
  layer: string;
  /** The tensor read: for a conv layer the map after its ReLU (DESIGN §3). */
  tensor: string;
  k: number;
  /** C×H×W of one image's activations. */
  dims: [number, number, number];
  /** Images counted. */
  images: number;
  /** Images that failed to load (counted nowhere). */
  failed: number;
  maps: TopkMap[];
  /** Maps whose maximum never exceeded 0 on any counted image. */
  neverFires: number[];
}

export interface TopkScanResult {
  folder: string;
  layers: TopkLayerResult[];
  /** Images in the folder listing. */
  total: number;
  /** Images this call ran through the model (0 when everything came from the cache). */
  scanned: number;
  /** Whether every layer covers the whole listing. */
  complete: boolean;
  /** Layers that had to start over because counted images were removed or changed. */
  rescanned: string[];
  ms: number;
}

export interface TopkTile {
  image: string;
  index: number;
  position: [number, number];
  value: number;
  /** The receptive field of the position, in model-input pixels. */
  box: PixelBox;
  /** The model-input image under the receptive field (PNG). */
  patch: Uint8Array;
  /** The single-activation projection under the same box (PNG); null when not asked for. */
  projection: Uint8Array | null;
  /** The whole projection (PNG); null when not asked for. */
  projectionFull: Uint8Array | null;
}

export interface TopkTilesResult {
  layer: string;
  tensor: string;
  channel: number;
  tiles: TopkTile[];
  /** Spine ops the projection passed through as identity (from the deconv engine). */
  skipped: string[];
  ms: number;
}

/** Where scans run when server mode was started with --redis (issue 18). */
export interface TopkQueueInfo {
  /** The Redis URL (password hidden), or null: scans run in this process. */
  queue: string | null;
  /** `convscope worker` processes connected to it. */
  workers: number;
}

export interface TopkCalls {
  /** Scans (or takes from the cache) the open folder for these layers; cancellable with `jobId`. */
  topkScan(arg: { layers: string[]; k?: number; jobId?: string }): Promise<TopkScanResult>;
  /** What the cache holds for these layers and the open folder, without scanning; null if nothing. */
  topkCached(arg: { layers: string[]; k?: number }): Promise<TopkScanResult | null>;
  /** The top-k of one map as Fig. 2 shows it: image patches, and projections computed in one batch. */
  topkTiles(arg: { layer: string; channel: number; k?: number; projections?: boolean }): Promise<TopkTilesResult>;
  /** Whether scans go to workers through Redis, and how many workers are connected. */
  topkQueue(arg: Record<string, never>): Promise<TopkQueueInfo>;
}
