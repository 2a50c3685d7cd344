// Per-layer health metrics from the analyses' own results (DESIGN §3 definitions, nothing recomputed):
// the Model view colours the graph by them and the report prints them. A layer an analysis has not
// covered gets no value, so "not computed" is never shown as 0.
import type { InvarianceSweepResult, TransformKind } from '../../../common/api-invariance.ts';
import type { LayerMetric, LayerMetricValue } from '../../../common/api-model.ts';
import type { FaithfulnessResult } from '../../../common/api-occlusion.ts';
import type { ProbeResult } from '../../../common/api-probe.ts';
import type { SpectraSummary } from '../../../common/api-spectra.ts';
import type { TopkLayerResult } from '../../../common/api-topk.ts';
import { activationLayerId } from '../../../common/layers.ts';
import type { LayerInfo } from '../../../common/types.ts';

type Layers = readonly Pick<LayerInfo, 'id' | 'op' | 'kind'>[];

const pct = (v: number) => `${(100 * v).toFixed(v > 0 && v < 0.1 ? 1 : 0)}%`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function metric(m: Omit<LayerMetric, 'missing'>, run: string): LayerMetric {
  const have = new Set(m.values.map((v) => v.layer));
  const missing = m.layers.filter((l) => !have.has(l)).length;
  return { ...m, missing: missing === 0 ? null : `${plural(missing, 'layer')} not computed — run ${run}` };
}

export function convLayers(layers: Layers): string[] {
  return layers.filter((l) => l.kind === 'conv').map((l) => l.id);
}

/** Share of a conv layer's maps whose maximum never exceeded 0 on the scanned images (top-k/firing scans). */
export function neverFiresMetric(layers: Layers, scans: readonly TopkLayerResult[], folder: string | null): LayerMetric {
  const values: LayerMetricValue[] = scans.map((s) => ({
    layer: s.layer,
    value: s.maps.length ? s.neverFires.length / s.maps.length : 0,
    text: `${s.neverFires.length} of ${s.maps.length} maps never fire on ${plural(s.images, 'image')}`,
  }));
  const images = scans.length ? Math.min(...scans.map((s) => s.images)) : 0;
  return metric({
    name: 'neverFires',
    title: 'Maps that never fire',
    unit: 'share of maps',
    source: scans.length && folder ? `top-k scans of ${folder} (${plural(images, 'image')}), maxima after each conv's ReLU` : null,
    layers: convLayers(layers),
    values,
    range: [0, 1],
    better: 'low',
  }, 'a top-k scan of the open folder');
}

/** Share of a conv layer's filters flagged dead, dominant or aliasing by their weights' spectra. */
export function flaggedMetric(layers: Layers, spectra: readonly { layer: string; summary: SpectraSummary; flagged: number }[]): LayerMetric {
  return metric({
    name: 'flagged',
    title: 'Flagged filters',
    unit: 'share of filters (dead, dominant or aliasing)',
    source: spectra.length ? 'filter spectra of the weights (DESIGN §3 flags)' : null,
    layers: convLayers(layers),
    values: spectra.map(({ layer, summary: s, flagged }) => ({
      layer,
      value: s.filters ? flagged / s.filters : 0,
      text: `${flagged} of ${s.filters} filters flagged: ${s.dead} dead, ${s.dominant} dominant, ${s.aliasing} aliasing`,
    })),
    range: [0, 1],
    better: 'low',
  }, 'filter spectra');
}

export function probeMetric(candidates: readonly string[], probe: ProbeResult | null, folder: string | null): LayerMetric {
  return metric({
    name: 'probe',
    title: 'Linear probe accuracy',
    unit: 'held-out accuracy',
    source: probe ? `linear probes, ${probe.folds}-fold, λ = ${probe.lambda}, on ${folder ?? 'the folder'} (${plural(probe.images, 'image')}, ${probe.classes} classes, chance ${pct(probe.chance)})` : null,
    layers: [...new Set([...candidates, ...(probe?.layers.map((l) => l.layer) ?? [])])],
    values: (probe?.layers ?? []).map((l) => ({ layer: l.layer, value: l.accuracy, text: `accuracy ${pct(l.accuracy)} ± ${pct(l.std)} over ${probe!.folds} folds` })),
    range: [0, 1],
    better: 'high',
  }, 'linear probes');
}

/** The layers an invariance sweep reads for the overview: every conv and hidden fc layer after its ReLU. */
export function invarianceCandidates(layers: Layers, outputs: readonly string[]): string[] {
  const fcs = layers.filter((l) => l.kind === 'fc' && !outputs.includes(l.id));
  return [...new Set([...layers.filter((l) => l.kind === 'conv'), ...fcs].map((l) => activationLayerId(layers, l.id)))];
}

/** Which θ of a sweep the overview reads: the one nearest `theta`, default the largest |θ| (ties: the larger θ). */
export function chosenTheta(thetas: readonly number[], transform: TransformKind, theta?: number): number {
  const rest = transform === 'scale' ? 1 : 0;
  const target = theta ?? thetas.reduce((a, b) => (Math.abs(b - rest) > Math.abs(a - rest) || (Math.abs(b - rest) === Math.abs(a - rest) && b > a) ? b : a));
  let best = 0;
  thetas.forEach((t, i) => Math.abs(t - target) < Math.abs(thetas[best] - target) && (best = i));
  return best;
}

/** Mean over the swept images of d̂ at one θ, per layer (finite values only: ‖φ(x)‖ = 0 gives ∞). */
export function invarianceMetric(candidates: readonly string[], runs: readonly InvarianceSweepResult[], o: { transform?: TransformKind; theta?: number } = {}): LayerMetric {
  const run = o.transform ? [...runs].reverse().find((r) => r.transform === o.transform) : runs[runs.length - 1];
  const values: LayerMetricValue[] = [];
  let source: string | null = null;
  if (run && run.images.length && run.thetas.length) {
    const i = chosenTheta(run.thetas, run.transform, o.theta);
    const theta = run.thetas[i];
    const unit = run.transform === 'scale' ? '×' : run.transform === 'rotate' ? '°' : ' px';
    source = `invariance sweep (${run.transform}, θ = ${theta}${unit}) over ${plural(run.images.length, 'image')}`;
    for (const layer of run.layers) {
      const d = run.images.map((im) => im.normalized[layer]?.[i]).filter((v): v is number => v !== undefined && Number.isFinite(v));
      if (d.length === 0) continue;
      const mean = d.reduce((a, b) => a + b, 0) / d.length;
      values.push({ layer, value: mean, text: `mean d̂ = ${mean.toFixed(3)} at ${run.transform} θ = ${theta}${unit} over ${plural(d.length, 'image')}` });
    }
  }
  const top = Math.max(1, ...values.map((v) => v.value));
  return metric({
    name: 'invariance',
    title: 'Invariance d̂',
    unit: 'mean ‖φ(Tx) − φ(x)‖ / ‖φ(x)‖',
    source,
    layers: [...new Set([...candidates, ...(run?.layers ?? [])])],
    values,
    range: [0, top],
    better: 'low',
  }, 'an invariance sweep');
}

/**
 * Relative drop of a map's activation when its projection's top-mass pixels are occluded,
 * (value − projected) / value, averaged over the faithfulness runs of the layer; the random-square
 * control's drop is in the text.
 */
export function faithfulnessMetric(layers: Layers, runs: readonly FaithfulnessResult[]): LayerMetric {
  const by = new Map<string, FaithfulnessResult[]>();
  for (const r of runs) if (r.value > 0) by.set(r.layer, [...(by.get(r.layer) ?? []), r]);
  const values = [...by].map(([layer, rs]) => {
    const mean = (f: (r: FaithfulnessResult) => number) => rs.reduce((a, r) => a + f(r), 0) / rs.length;
    const drop = mean((r) => r.projectedDrop / r.value);
    const control = mean((r) => r.randomDrop / r.value);
    return { layer, value: drop, text: `occluding the projection drops the activation ${pct(drop)} (a random square ${pct(control)}), ${plural(rs.length, 'run')}` };
  });
  return metric({
    name: 'faithfulness',
    title: 'Faithfulness drop',
    unit: 'relative activation drop',
    source: runs.length ? `occlusion faithfulness, ${plural(runs.length, 'run')}` : null,
    layers: [...new Set([...convLayers(layers), ...by.keys()])],
    values,
    range: [0, 1],
    better: 'high',
  }, 'occlusion faithfulness');
}
