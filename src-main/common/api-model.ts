// Contract entries for the Model overview (issue 19): per-layer health metrics gathered from the
// analyses that have run, each with its source, and "not computed" where an analysis has not run.
import type { TransformKind } from './api-invariance.ts';

export type LayerMetricName = 'neverFires' | 'flagged' | 'probe' | 'invariance' | 'faithfulness';

export const LAYER_METRICS: readonly LayerMetricName[] = ['neverFires', 'flagged', 'probe', 'invariance', 'faithfulness'];

export interface LayerMetricValue {
  /** The layer whose node carries the value (as the analysis was asked for it). */
  layer: string;
  value: number;
  /** The value in words, for the tooltip and the report: `3 of 32 maps never fire`. */
  text: string;
}

export interface LayerMetric {
  name: LayerMetricName;
  title: string;
  /** What the value counts, for the legend: `share of maps`, `held-out accuracy`. */
  unit: string;
  /** Where the values come from (analysis, folder, images), or null while nothing is computed. */
  source: string | null;
  /** What to run for the layers that have no value yet; null when every layer has one. */
  missing: string | null;
  /** The layers that can carry this metric; those without a value are "not computed". */
  layers: string[];
  values: LayerMetricValue[];
  /** Colour scale: values at `range[0]` … `range[1]`; `better` says which end is healthy. */
  range: [number, number];
  better: 'low' | 'high';
}

export interface LayerMetricsArg {
  /** Invariance: the transform and θ (its nearest swept value) d̂ is read at; default the last sweep's transform at its largest |θ|. */
  transform?: TransformKind;
  theta?: number;
}

export interface LayerMetricsResult {
  model: string;
  /** The open folder, or null when none is open (the folder metrics are then not computed). */
  folder: string | null;
  metrics: LayerMetric[];
  ms: number;
}

/** The report's analysis sections, in the order the report shows them. */
export const REPORT_SECTIONS = ['spectra', 'topk', 'invariance', 'occlusion', 'probe'] as const;
export type ReportSection = (typeof REPORT_SECTIONS)[number];

export interface ModelReportArg {
  /** Default: all of them. */
  sections?: ReportSection[];
  jobId?: string;
}

export interface ModelReportResult {
  /** A file name for it: `<model>-report.html`. */
  fileName: string;
  /** The self-contained HTML page (as `convscope report` writes it). */
  html: string;
  sections: ReportSection[];
}

export interface ModelCalls {
  /** The per-layer metrics for the open model: from the caches and the analyses run this session, nothing new computed but filter spectra (weights only). */
  layerMetrics(arg: LayerMetricsArg): Promise<LayerMetricsResult>;
  /** The report of the open model on the open folder, as a kept job with progress by section (cancel by `jobId`). */
  modelReport(arg: ModelReportArg): Promise<ModelReportResult>;
}
