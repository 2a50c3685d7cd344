// Contract entries for feature evolution across training checkpoints (issue 16; DESIGN §3 "Feature
// evolution", the paper's Fig. 4). Owned by that feature.
import type { PixelBox } from './types.ts';

/** A checkpoint of a set, in the set's order (by the epoch number in its file name). */
export interface EvolutionCheckpointFile {
  /** Absolute path of the .onnx file. */
  model: string;
  name: string;
  epoch: number | null;
}

export interface EvolutionCheckpointList {
  checkpoints: EvolutionCheckpointFile[];
  /** The layers a figure can show (conv and fc layers of the first checkpoint), with their map counts. */
  layers: { id: string; kind: 'conv' | 'fc'; maps: number }[];
}

export interface EvolutionCheckpoint extends EvolutionCheckpointFile {
  /** Share of the labelled images classified as their class sub-folder; null when the folder has none. */
  accuracy: number | null;
  /** Images passed through the model for this checkpoint this time (0: the scan was cached). */
  scanned: number;
}

/** One cell of the figure: a map's strongest image of the folder at one checkpoint. */
export interface EvolutionTile {
  /** Index into `checkpoints`. */
  checkpoint: number;
  image: string;
  /** Index of the image in the open folder's listing, −1 when it is not listed. */
  index: number;
  position: [number, number];
  value: number;
  /** The receptive field of the position, in model-input pixels. */
  box: PixelBox;
  /** The model-input image under the box (PNG). */
  patch: Uint8Array;
  /** The single projection under the box (PNG), and whole (PNG). */
  projection: Uint8Array;
  projectionFull: Uint8Array;
}

export interface EvolutionResult {
  folder: string;
  layer: string;
  /** The tensor read (a conv layer: its ReLU). */
  tensor: string;
  dims: [number, number, number];
  checkpoints: EvolutionCheckpoint[];
  /** One row per map, one entry per checkpoint. */
  maps: { channel: number; entries: EvolutionTile[] }[];
  /** Images of the folder, and of those the ones that could not be read. */
  images: number;
  failed: number;
  seed: number;
  ms: number;
}

export interface EvolutionArg {
  /** Folders of .onnx files and/or .onnx files. */
  checkpoints: string[];
  layer: string;
  /** The maps shown; default a seeded random subset of `maps` (8) with `seed` (0). */
  channels?: number[];
  maps?: number;
  seed?: number;
  jobId?: string;
}

export interface EvolutionCalls {
  /** The checkpoints named by folders and/or files, in order, and the layers of their architecture. */
  evolutionCheckpoints(arg: { paths: string[] }): Promise<EvolutionCheckpointList>;
  /** The figure over the open folder; progress (checkpoints × images) and cancel by `jobId`. */
  evolution(arg: EvolutionArg): Promise<EvolutionResult>;
}
