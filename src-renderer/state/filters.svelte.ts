// The filter spectra view: the layer's spectra for the open model (panel A) and, when comparing,
// another model's (panel B); sorting, the flag filter, the chosen filter and the firing scan.
import type { FilterSpectraResult } from '../../src-main/common/api-spectra.ts';
import type { FlagFilter, SortKey } from '../lib/spectra-table.ts';

/** One model's spectra: the result (kept raw: big typed arrays, read-only), loading, error, firing scan. */
export class SpectraPanel {
  result = $state.raw<FilterSpectraResult | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  /** A firing scan of the open folder in progress: its job id (to cancel). */
  scan = $state<{ jobId: string; cancelling: boolean } | null>(null);

  reset(): void {
    this.result = null;
    this.loading = false;
    this.error = null;
    this.scan = null;
  }
}

export class FiltersState {
  /** Chosen conv layer id of the open model; null = the first conv layer. */
  layer = $state<string | null>(null);
  readonly a = new SpectraPanel();
  readonly b = new SpectraPanel();

  sortKey = $state<SortKey>('index');
  flag = $state<FlagFilter>('all');
  /** The filter whose profile the chart shows (of panel A). */
  selected = $state<number | null>(null);

  compare = $state(false);
  /** The model compared against (a path); its first conv layer unless `compareLayer`. */
  comparePath = $state('');
  compareLayer = $state<string | null>(null);
  demoModels = $state.raw<{ name: string; path: string }[]>([]);
}
