// The filter table: sorting by any metric, filtering by flag, and its CSV export.
import type { FilterFlag, FilterSpectraResult, FilterStats } from '../../src-main/common/api-spectra.ts';

export type SortKey = 'index' | 'rms' | 'centroid' | 'low' | 'mid' | 'high' | 'aliasingFraction' | 'firingRate';
export type FlagFilter = 'all' | 'flagged' | FilterFlag;

export const SORT_KEYS: { value: SortKey; label: string }[] = [
  { value: 'index', label: 'index' },
  { value: 'rms', label: 'rms' },
  { value: 'centroid', label: 'centroid' },
  { value: 'low', label: 'low band' },
  { value: 'mid', label: 'mid band' },
  { value: 'high', label: 'high band' },
  { value: 'aliasingFraction', label: 'aliasing' },
  { value: 'firingRate', label: 'firing rate' },
];

export function metric(f: FilterStats, key: SortKey): number {
  switch (key) {
    case 'index':
      return f.index;
    case 'low':
    case 'mid':
    case 'high':
      return f.bands[key];
    case 'firingRate':
      return f.firingRate ?? -1;
    default:
      return f[key];
  }
}

/** Filters passing the flag filter, sorted by the key (descending for metrics, ties by index). */
export function visibleFilters(filters: readonly FilterStats[], key: SortKey, flag: FlagFilter, descending = key !== 'index'): FilterStats[] {
  const keep = filters.filter((f) => (flag === 'all' ? true : flag === 'flagged' ? f.flags.length > 0 : f.flags.includes(flag)));
  const sign = descending ? -1 : 1;
  return keep.sort((a, b) => sign * (metric(a, key) - metric(b, key)) || a.index - b.index);
}

const csvField = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** One row per filter with every metric, flags and reasons; numbers at full precision. */
export function spectraCsv(r: FilterSpectraResult): string {
  const head = ['model', 'layer', 'filter', 'rms', 'centroid', 'low', 'mid', 'high', 'aliasingFraction', 'firingRate', 'flags', 'reasons'];
  const rows = r.filters.map((f) =>
    [
      r.model.name, r.layer, String(f.index), String(f.rms), String(f.centroid), String(f.bands.low), String(f.bands.mid), String(f.bands.high),
      String(f.aliasingFraction), f.firingRate === undefined ? '' : String(f.firingRate), f.flags.join(' '),
      f.flags.map((fl) => `${fl}: ${f.reasons[fl]}`).join('; '),
    ].map(csvField).join(','),
  );
  return [head.join(','), ...rows].join('\n') + '\n';
}

/** A file name base for exports: `zf-mini-conv1-spectra`. */
export function spectraFileBase(r: Pick<FilterSpectraResult, 'model' | 'layer'>): string {
  const model = r.model.name.replace(/\.onnx$/i, '');
  const layer = r.layer.replace(/\/(Conv)_output_0$/i, '').replace(/_output_0$/, '').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '');
  return `${model}-${layer || 'layer'}-spectra`;
}
