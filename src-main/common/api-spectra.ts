// Contract entries for filter-frequency diagnostics (issue 5): the spectra of a conv layer's filters
// and what they say (DESIGN §3 "Filter spectra"). Owned by that feature.

export type FilterFlag = 'dead' | 'dominant' | 'aliasing';
export const FILTER_FLAGS: readonly FilterFlag[] = ['dead', 'dominant', 'aliasing'];

export interface Bands {
  low: number;
  mid: number;
  high: number;
}

export interface FilterStats {
  index: number;
  rms: number;
  /** Σ r·P / Σ P in cycles/pixel; 0 for a filter with no power. */
  centroid: number;
  /** Shares of Σ P by radius: low [0, 1/8), mid [1/8, 1/4), high [1/4, ∞) (all 0 for a filter with no power). */
  bands: Bands;
  /** Share of Σ P above the stride's Nyquist frequency on either axis. */
  aliasingFraction: number;
  /** Share of scanned images on which the filter's map has a maximum > 0 (only after a folder scan). */
  firingRate?: number;
  flags: FilterFlag[];
  /** Why each flag was raised, in words ("never fires on 300 images", "weights rms < 1% of median …"). */
  reasons: Partial<Record<FilterFlag, string>>;
}

export interface SpectraSummary {
  filters: number;
  dead: number;
  dominant: number;
  aliasing: number;
  meanAliasingFraction: number;
  /** Share of non-dead filters whose centroid lies in the mid band [1/8, 1/4). */
  midCoverage: number;
  medianRms: number;
}

export interface Histogram {
  /** counts.length + 1 bin edges. */
  edges: number[];
  counts: number[];
}

/** A 2-D Conv layer of a model, with what the spectra need of its node. */
export interface ConvLayerRef {
  /** Layer id: the Conv output tensor name. */
  id: string;
  node: string;
  kernel: [number, number];
  stride: [number, number];
  dilation: [number, number];
  groups: number;
  /** Filters (output channels). */
  filters: number;
  /** Input channels each filter sees (C/groups). */
  channels: number;
  /** The layer read as the filters' activation: the ReLU after the conv, else the conv output. */
  activation: string;
}

export interface FilterSpectraResult {
  model: { path: string; name: string };
  layer: string;
  node: string;
  /** The kernel the spectra were taken of (the dilated footprint when dilation > 1). */
  kernel: [number, number];
  stride: [number, number];
  dilation: [number, number];
  groups: number;
  /** Input channels per filter. */
  channels: number;
  N: number;
  filters: FilterStats[];
  summary: SpectraSummary;
  /** Centroids of the non-dead filters, in bins of 1/32 cycles/pixel. */
  centroidHistogram: Histogram;
  /** The raw weights, K×channels×kh×kw (ONNX layout, undilated). */
  weights: Float32Array;
  weightDims: [number, number, number, number];
  /** K×N×N power spectra P_k, fftshifted: row i is fy = (i − N/2)/N, column j is fx = (j − N/2)/N. */
  spectra: Float32Array;
  /** K×B radial profiles: share of Σ P_k at radius r·N in [b, b+1); band fractions are sums of bins. */
  profiles: Float32Array;
  /** Mean profile of the non-dead filters (B values). */
  meanProfile: Float32Array;
  /** Width of a profile bin in cycles/pixel (1/N). */
  profileBin: number;
  /** The folder scan behind activation-based deadness, if one was asked for. */
  firing: { folder: string; layer: string; images: number; failed: number } | null;
  /** All conv layers of the model (to choose another). */
  convLayers: ConvLayerRef[];
  ms: number;
}

export interface SpectraCalls {
  /**
   * Spectra of a conv layer (default the first) of the open model, or of another model file (`model`,
   * e.g. to compare). With `firing`, also scans the open folder (progress events, cancellable by `jobId`).
   */
  filterSpectra(arg: { model?: string; layer?: string; firing?: boolean; jobId?: string }): Promise<FilterSpectraResult>;
  /** The shipped demo models, as compare candidates. */
  spectraDemoModels(arg: Record<string, never>): Promise<{ models: { name: string; path: string }[] }>;
}

const pct = (v: number) => `${Math.round(v * 100)}%`;

/** The layer summary in words: "96 filters: 3 dead, 2 dominant, 41 alias at stride 4 (mean 0.38); mid-frequency coverage 12%". */
export function describeSpectra(s: SpectraSummary, stride: readonly [number, number]): string {
  const st = stride[0] === stride[1] ? `${stride[0]}` : `${stride[0]}×${stride[1]}`;
  return (
    `${s.filters} filters: ${s.dead} dead, ${s.dominant} dominant, ${s.aliasing} alias at stride ${st} ` +
    `(mean ${s.meanAliasingFraction.toFixed(2)}); mid-frequency coverage ${pct(s.midCoverage)}`
  );
}
