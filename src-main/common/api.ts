// The one contract between the renderer and the core. Every call takes one argument and returns a
// promise; events are pushed by the core. Both transports (Electron IPC, WebSocket) carry exactly this.
import type { ImageEntry, LayerInfo, ModelInputImage, PixelBox, Preprocessing, SkippedFile, TensorSpec } from './types.ts';

export type { ModelInputImage, PixelBox };
import type { CorrespondenceCalls } from './api-correspondence.ts';
import type { EvolutionCalls } from './api-evolution.ts';
import type { InvarianceCalls } from './api-invariance.ts';
import type { JobCalls } from './api-jobs.ts';
import type { ProjectAllArg, ProjectAllResult } from './api-project-all.ts';
export type { ProjectAllArg, ProjectAllResult, ProjectedMap } from './api-project-all.ts';
import type { OcclusionCalls } from './api-occlusion.ts';
import type { ProbeCalls } from './api-probe.ts';
import type { ModelCalls } from './api-model.ts';
import type { SpectraCalls } from './api-spectra.ts';
import type { TopkCalls } from './api-topk.ts';

export type Provider = 'cuda' | 'cpu';

export interface ModelInfo {
  path: string;
  name: string;
  sizeBytes: number;
  opset: number;
  irVersion: number;
  producer: string;
  provider: Provider;
  /** Why this provider: for CPU, why CUDA was not used. */
  providerReason: string;
  /**
   * Where projections run: the TypeScript engine, the reverse path compiled to ONNX (the GPU path), or
   * 'auto' on CPU: per layer, compiled where the reverse path is large (each projection says which).
   */
  deconvBackend: 'engine' | 'compiled' | 'auto';
  /**
   * The image input. `dims` in the model's own `layout`: N×H×W×C for a channels-last (Keras,
   * tf2onnx) model, whose tensors Convscope still gives and returns as C×H×W (DESIGN §3).
   */
  input: { name: string; dims: (number | string)[]; layout: 'NCHW' | 'NHWC'; channels: 1 | 3; height: number; width: number };
  outputs: TensorSpec[];
  numClasses: number;
  layers: LayerInfo[];
  preprocessing: Preprocessing;
  /** The sidecar read, or, while none exists, where saving the preprocessing will write it (beside the model). */
  sidecarPath: string;
  /**
   * True while `preprocessing` is the defaults, guessed because the model has no sidecar: nothing
   * is written on open, and the app says "assumed" until the user saves (confirms) them.
   */
  preprocessingAssumed: boolean;
  /** Where the graph contradicts `preprocessing` (it normalises its own input, say), in plain words naming the node; empty when nothing does. */
  preprocessingHints: string[];
  labels: string[] | null;
}

export interface FolderInfo {
  root: string;
  count: number;
  classes: string[];
  skipped: SkippedFile[];
}

export interface ClassScore {
  index: number;
  label: string;
  probability: number;
}

export interface Prediction {
  path: string;
  trueClass: string | null;
  trueIndex: number | null;
  top: ClassScore[];
  ms: number;
}

export interface ImagePreview {
  png: Uint8Array;
  width: number;
  height: number;
}

/** One layer's activations for one image, as maps: C×H×W (an fc layer of F units is F maps of 1×1). */
export interface LayerActivations {
  layer: string;
  dims: [number, number, number];
  data: Float32Array;
  /** Maximum of each map. */
  maxima: Float32Array;
  ms: number;
}

/** A box in model-input pixels, [y0, y1) × [x0, x1), clipped to the input. */
export interface ProjectionTarget {
  channel: number;
  /** (y, x) in the map; default the argmax of the map. */
  position?: [number, number];
}

/** A deconvnet projection (DESIGN §3): raw C×H×W in input space, and its display image. */
export interface ProjectionResult {
  layer: string;
  channel: number;
  mode: 'single' | 'map';
  position: [number, number] | null;
  value: number;
  dims: [number, number, number];
  data: Float32Array;
  /** v / max|v| mapped to 0..255 around 128, as PNG. */
  png: Uint8Array;
  /** The receptive field of the projected activation (single mode), in model-input pixels. */
  box: PixelBox | null;
  skipped: string[];
  ms: number;
  /** What computed it: the TypeScript engine, or the reverse path compiled to ONNX. */
  backend: 'engine' | 'compiled';
}

/** The image as the model sees it: preprocessed, then mapped back to 8-bit for display. */
export interface BrowseEntry {
  name: string;
  kind: 'dir' | 'file';
}

export interface BrowseResult {
  path: string;
  parent: string | null;
  entries: BrowseEntry[];
}

export interface AppState {
  shell: 'electron' | 'server';
  model: ModelInfo | null;
  folder: FolderInfo | null;
  /** Non-fatal problems found at start-up (e.g. a --model that failed to open). */
  notices: string[];
}

export interface ProgressEvent {
  jobId: string;
  label: string;
  done: number;
  total: number;
  finished: boolean;
  /** What the job is doing now, in words, where it goes through stages (opening a model: reading, parsing, loading into onnxruntime, checking). */
  stage?: string;
  /** What `done` and `total` count, where they count items rather than stages: `positions`, `images`, `steps`, `maps`. */
  unit?: string;
  /**
   * Where a job counts items stage by stage (probes: the features of every image, then the fits): the
   * stage it is in, from 1, of `steps`. `done`, `total` and `unit` are then that stage's, so a count
   * starting again from 0 reads as the next stage, not as progress going back.
   */
  step?: number;
  steps?: number;
}

/** A stage of a job that counts items stage by stage (ProgressEvent.step): its number, of how many, and what it counts. */
export interface StageCount {
  step: number;
  steps: number;
  unit: string;
}

/** The app's own calls: model, folder, images, the layer browser; each analysis adds its own (api-*.ts). */
export interface AppCalls {
  getState(arg: Record<string, never>): Promise<AppState>;
  openModel(arg: { path: string }): Promise<ModelInfo>;
  openFolder(arg: { path: string }): Promise<FolderInfo>;
  listImages(arg: { offset: number; limit: number }): Promise<{ total: number; entries: ImageEntry[] }>;
  thumbnail(arg: { path: string; size: number }): Promise<Uint8Array>;
  imagePreview(arg: { path: string }): Promise<ImagePreview>;
  predict(arg: { path: string; topK?: number }): Promise<Prediction>;
  savePreprocessing(arg: { preprocessing: Preprocessing }): Promise<ModelInfo>;
  modelInput(arg: { path: string }): Promise<ModelInputImage>;
  layerActivations(arg: { path: string; layer: string }): Promise<LayerActivations>;
  project(arg: { path: string; layer: string; mode: 'single' | 'map'; targets: ProjectionTarget[] }): Promise<ProjectionResult[]>;
  /**
   * "Project all maps": the maps' projections as one job the server keeps (progress in maps, cancel
   * by `jobId`; `jobParts` hands out each batch as it is done; a reloaded page re-attaches to it).
   */
  projectAll(arg: ProjectAllArg): Promise<ProjectAllResult>;
  browse(arg: { path?: string; kind: 'model' | 'folder' }): Promise<BrowseResult>;
  cancel(arg: { jobId: string }): Promise<{ cancelled: boolean }>;
}

/** Every call; each analysis keeps its entries in its own file (api-*.ts). */
export interface ApiCalls extends AppCalls, SpectraCalls, InvarianceCalls, TopkCalls, OcclusionCalls, CorrespondenceCalls, ProbeCalls, EvolutionCalls, ModelCalls, JobCalls {}

export interface ApiEvents {
  progress: ProgressEvent;
  state: AppState;
}

export type Method = keyof ApiCalls;
export type ArgOf<M extends Method> = Parameters<ApiCalls[M]>[0];
export type ResultOf<M extends Method> = Awaited<ReturnType<ApiCalls[M]>>;
export type EventName = keyof ApiEvents;

/** The single IPC channel both directions use in the Electron shell. */
export const IPC_CHANNEL = 'convscope:api';
export const IPC_EVENT_CHANNEL = 'convscope:event';

/** What the preload exposes on `window.convscope` (and nothing else). */
export interface PreloadBridge {
  invoke(method: string, arg: unknown): Promise<unknown>;
  subscribe(listener: (event: string, payload: unknown) => void): () => void;
  /** Native dialogs exist only in the desktop shell. */
  pickPath(kind: 'model' | 'folder'): Promise<string | null>;
  /** The filesystem path of a dropped File (desktop shell only). */
  pathForFile?(file: unknown): string;
}
