// What each node of the layer graph says and how it is coloured by a metric: shared by the Model view
// and the report, so both read the same.
import type { LayerMetric } from './api-model.ts';
import type { GraphNodeLabel } from './graph-svg.ts';
import { shortLayerName } from './layer-names.ts';
import type { LayerInfo } from './types.ts';

export const NOT_COMPUTED_FILL = '#cfcfcf';
export const NOT_APPLICABLE_FILL = '#f4f4f4';

/** `1.2M` / `34.5k` / `812`: parameter counts in a node. */
export function shortCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(n >= 1e4 ? 0 : 1)}k`;
  return String(n);
}

/**
 * The metric's colour for a value: a sequential scale from healthy (pale green) to unhealthy (dark
 * red), whichever end `better` names; readable in grey print by its lightness alone.
 */
export function metricColour(m: Pick<LayerMetric, 'range' | 'better'>, value: number): { fill: string; ink: string } {
  const [lo, hi] = m.range;
  const t0 = hi > lo ? Math.min(1, Math.max(0, (value - lo) / (hi - lo))) : 0;
  const bad = m.better === 'low' ? t0 : 1 - t0;
  // Hue 120 (green) → 0 (red), lightness 88% → 38%.
  const hue = Math.round(120 * (1 - bad));
  const light = Math.round(88 - 50 * bad);
  return { fill: `hsl(${hue}, 65%, ${light}%)`, ink: light < 55 ? '#fff' : '#111' };
}

/** Legend stops for a metric: `steps` values from range[0] to range[1] with their colours. */
export function legendStops(m: Pick<LayerMetric, 'range' | 'better'>, steps = 5): { value: number; fill: string }[] {
  return Array.from({ length: steps }, (_, i) => {
    const value = m.range[0] + ((m.range[1] - m.range[0]) * i) / (steps - 1);
    return { value, fill: metricColour(m, value).fill };
  });
}

type NodeLayer = Pick<LayerInfo, 'id' | 'op' | 'shape' | 'params' | 'receptiveField'>;

/** One label per node: the image input, then each layer, with the metric's colour or its "not computed". */
export function graphLabels(input: { name: string; dims: readonly (number | string)[] }, layers: readonly NodeLayer[], metric: LayerMetric | null): Map<string, GraphNodeLabel> {
  const out = new Map<string, GraphNodeLabel>();
  out.set(input.name, { title: `input ${shortLayerName(input.name)}`, detail: `[${input.dims.join('×')}]`, fill: '#dde7f3' });
  const values = new Map(metric?.values.map((v) => [v.layer, v]) ?? []);
  const candidates = new Set(metric?.layers ?? []);
  for (const l of layers) {
    const rf = l.receptiveField ? `rf ${l.receptiveField.size.join('×')}` : '';
    const detail = [l.shape.length ? `[${l.shape.join('×')}]` : '', rf, l.params ? `${shortCount(l.params)} params` : ''].filter(Boolean).join(' · ');
    const label: GraphNodeLabel = { title: `${shortLayerName(l.id)} · ${l.op}`, detail };
    if (metric) {
      const v = values.get(l.id);
      if (v) Object.assign(label, metricColour(metric, v.value), { tooltip: `${metric.title}: ${v.text}` });
      else if (candidates.has(l.id)) Object.assign(label, { fill: NOT_COMPUTED_FILL, tooltip: `${metric.title}: not computed — run ${metric.missing?.replace(/^.*not computed — run /, '') ?? 'its analysis'}` });
      else label.fill = NOT_APPLICABLE_FILL;
    }
    out.set(l.id, label);
  }
  return out;
}
