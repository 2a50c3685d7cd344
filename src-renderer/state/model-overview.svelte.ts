// The Model view's state: the per-layer metrics of the open model, the metric the graph is coloured
// by, and which metric's analysis is running from here.
import type { LayerMetricName, LayerMetricsResult } from '../../src-main/common/api-model.ts';

export class ModelOverviewState {
  colourBy = $state<LayerMetricName | 'none'>('neverFires');
  result = $state<LayerMetricsResult | null>(null);
  error = $state<string | null>(null);
  loading = $state(false);
  /** The metric whose analysis this view started and is waiting for. */
  running = $state<LayerMetricName | null>(null);
  zoom = $state(1);
  selected = $state<string | null>(null);
  /** The report being built (job id) and where the last one was saved. */
  exporting = $state(false);

  readonly metric = $derived(this.result?.metrics.find((m) => m.name === this.colourBy) ?? null);
}
