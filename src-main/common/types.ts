// Plain data shared by core, shells and renderer. No DOM, no Node.

/** Preprocessing of a model's input, stored in the sidecar `<model>.convscope.json` (DESIGN §2). */
export interface Preprocessing {
  inputSize: [number, number]; // [H, W]
  channels: 'RGB' | 'BGR' | 'gray';
  scale: number;
  mean: number[];
  std: number[];
  resize: 'shorter-side+center-crop' | 'stretch';
  /**
   * The model's input layout, as the model has it (absent: NCHW). NHWC for Keras and tf2onnx
   * models; the preprocessed tensor is C×H×W all the same, which their session takes (onnx/layout.ts).
   */
  layout?: 'NCHW' | 'NHWC';
  /** A label file relative to the sidecar's folder, or the labels themselves. */
  labels?: string | string[];
}

/** Receptive field of one position of a layer, in input pixels, per axis [y, x] (DESIGN §3). */
export interface ReceptiveField {
  size: [number, number];
  stride: [number, number];
  offset: [number, number];
}

export type LayerKind = 'conv' | 'relu' | 'pool' | 'norm' | 'fc' | 'other';

export interface LayerInfo {
  /** ONNX tensor name of the layer's output. */
  id: string;
  /** Name of the node that produces it (for a recognised subgraph such as PyTorch's LRN, its last node). */
  node: string;
  op: string;
  kind: LayerKind;
  /** Output shape for a batch of one, e.g. [1, 32, 32, 32]; empty until the model has been run once. */
  shape: number[];
  params: number;
  receptiveField: ReceptiveField | null;
  /** Ids of the layers (or the image input's name) this layer reads: the edges of the layer graph. */
  inputs?: string[];
  /**
   * For a recognised modern activation (ReLU6, HardSwish, SiLU, GELU, ...) or squeeze-excitation
   * gate: the rule deconvnet projections reverse it by (DESIGN §3), and what was recognised, in words.
   */
  reverse?: { rule: 'rectify' | 'gate'; description: string };
}

export type Dim = number | string;

export interface TensorSpec {
  name: string;
  dims: Dim[];
}

export interface ImageEntry {
  /** Path relative to the folder root, with forward slashes. */
  path: string;
  /** Sub-folder name (ImageFolder convention), or null for images at the root. */
  className: string | null;
}

export interface SkippedFile {
  path: string;
  reason: string;
  /**
   * An image of the listing that failed to decode once used: it stays in the list (and the folder's
   * count) but cannot be used. Absent for files the listing itself left out (not images, links).
   */
  unreadable?: boolean;
}

/** A box in model-input pixels: rows y0…y1−1, columns x0…x1−1. */
export interface PixelBox {
  y0: number;
  x0: number;
  y1: number;
  x1: number;
}

/** The model's input as the model sees it (after preprocessing), as a PNG. */
export interface ModelInputImage {
  png: Uint8Array;
  width: number;
  height: number;
}
