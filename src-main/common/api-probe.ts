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

export interface ProbeCalls {
  /** Probe accuracy per layer on the open (labelled) folder; progress events and cancel by `jobId`. */
  probe(arg: ProbeArg): Promise<ProbeResult>;
}
