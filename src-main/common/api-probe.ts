// Contract entries for linear probes per layer (issue 16; DESIGN §3 "Linear probe", the paper's
// Table 7 after Alain & Bengio 2016). Owned by that feature.

export interface ProbeLayerResult {
  /** The layer as asked for. */
  layer: string;
  /** The tensor read (a conv or fc layer after its ReLU). */
  tensor: string;
  /** Features per image: the layer's channels (spatial means) or units. */
  features: number;
  /** Mean over the folds of the held-out accuracy. */
  accuracy: number;
  /** Population standard deviation of the fold accuracies. */
  std: number;
  foldAccuracies: number[];
}

export interface ProbeResult {
  model: string;
  /** Labelled images the probes were fitted on (those that could be read). */
  images: number;
  /** Number of classes (sub-folders), and their names in label order. */
  classes: number;
  classNames: string[];
  folds: number;
  lambda: number;
  /** The model's own top-1 accuracy on the same images (classes matched to its labels); null when no class name matches a label. */
  modelAccuracy: number | null;
  /** Chance level: the share of the most frequent class (1/classes for balanced classes). */
  chance: number;
  layers: ProbeLayerResult[];
  /** Images left out: at the folder's root (no class) or failing to load. */
  skipped: { path: string; reason: string }[];
  ms: number;
}

export interface ProbeArg {
  /** Layers to probe; default: every conv layer and every hidden fc layer. */
  layers?: string[];
  folds?: number;
  lambda?: number;
  jobId?: string;
}

/** A set of training checkpoints probed on the open folder: the arguments of `probe`, and the set. */
export interface ProbeCheckpointsArg extends ProbeArg {
  /** Folders of .onnx files and/or .onnx files (the Training view's set). */
  checkpoints: string[];
}

/** One checkpoint's probes: `probe`'s result for that file alone, with where it sits in the set. */
export interface CheckpointProbeResult extends ProbeResult {
  /** Absolute path of the .onnx file. */
  file: string;
  name: string;
  epoch: number | null;
}

export interface ProbeCheckpointsResult {
  /** In the set's order (by the epoch number in the file names). */
  checkpoints: CheckpointProbeResult[];
  ms: number;
}

export interface ProbeCalls {
  /** Probe accuracy per layer on the open (labelled) folder; progress events and cancel by `jobId`. */
  probe(arg: ProbeArg): Promise<ProbeResult>;
  /** The same for each checkpoint of a set (one architecture); progress over checkpoints × images, then the fits. */
  probeCheckpoints(arg: ProbeCheckpointsArg): Promise<ProbeCheckpointsResult>;
}
