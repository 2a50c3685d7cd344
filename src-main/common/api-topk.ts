// Contract entries for top-k scans and occlusion sensitivity (issue 7). Owned by that feature.
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

/** Occlusion sensitivity (DESIGN §3): row-major grids of rows × cols. */
export interface OcclusionResult {
  path: string;
  size: number;
  stride: number;
  grid: [number, number];
  targetClass: number;
  targetLabel: string;
  /** Why that class: the folder's true class, the one asked for, or the top-1 of the unoccluded image. */
  targetSource: 'true' | 'chosen' | 'top1';
  /** P(target class) per position. */
  pClass: Float32Array;
  /** Most probable class per position. */
  top1: Int32Array;
  /** Σ of the chosen feature map per position. */
  activity: Float32Array;
  layer: string;
  tensor: string;
  channel: number;
  /** The unoccluded image's values. */
  base: { pClass: number; top1: number; activity: number };
  /** Labels of the classes that appear in `top1` (index → label). */
  labels: Record<number, string>;
  ms: number;
}

/** The paper's check of a projection: occluding what it highlights vs a random region of the same area. */
export interface FaithfulnessResult {
  path: string;
  layer: string;
  tensor: string;
  channel: number;
  position: [number, number];
  /** a[c, p] on the unoccluded image. */
  value: number;
  /** Pixels occluded in each case (one occluder's area). */
  area: number;
  /** Activation with the projection's top-mass pixels occluded. */
  projected: number;
  /** Activation with a random square of the same area inside the receptive field, per trial. */
  random: number[];
  /** value − projected, and the mean of value − random. */
  projectedDrop: number;
  randomDrop: number;
  /** Mask of the occluded projected pixels (PNG, white = occluded) and the model-input image (PNG). */
  mask: Uint8Array;
  box: PixelBox;
  seed: number;
  ms: number;
}

export interface TopkCalls {
  /** Scans (or takes from the cache) the open folder for these layers; cancellable with `jobId`. */
  topkScan(arg: { layers: string[]; k?: number; jobId?: string }): Promise<TopkScanResult>;
  /** What the cache holds for these layers and the open folder, without scanning; null if nothing. */
  topkCached(arg: { layers: string[]; k?: number }): Promise<TopkScanResult | null>;
  /** The top-k of one map as Fig. 2 shows it: image patches, and projections computed in one batch. */
  topkTiles(arg: { layer: string; channel: number; k?: number; projections?: boolean }): Promise<TopkTilesResult>;
  occlusion(arg: { path: string; size?: number; stride?: number; targetClass?: number; layer?: string; channel?: number; jobId?: string }): Promise<OcclusionResult>;
  occlusionFaithfulness(arg: { path: string; layer: string; channel: number; position?: [number, number]; size?: number; trials?: number; seed?: number }): Promise<FaithfulnessResult>;
}
