// One conv layer's spectra as the API and the CLI report them: geometry, per-filter metrics, the
// layer summary and the arrays the view draws, from the parsed graph (and a folder scan, if any).
import type { FilterSpectraResult } from '../../../common/api-spectra.ts';
import type { GraphSummary } from '../../onnx/index.ts';
import { convFilters, convLayers, resolveConvLayer } from './conv-layer.ts';
import { analysisPool } from '../compute.ts';
import type { Firing } from './spectra.ts';

export interface FiringEvidence extends Firing {
  folder: string;
  layer: string;
  failed: number;
}

/** Reads Conv weights a graph holds as shapes alone (ModelSession.loadWeights). */
export type WeightsLoader = (names: string[]) => Promise<void>;

export async function spectraReport(
  graph: GraphSummary,
  model: { path: string; name: string },
  layer?: string,
  firing?: FiringEvidence,
  loadWeights?: WeightsLoader,
): Promise<Omit<FilterSpectraResult, 'ms'>> {
  const ref = resolveConvLayer(graph, model.name, layer);
  await loadWeights?.([graph.nodes.find((n) => n.name === ref.node)!.inputs[1]]);
  const conv = convFilters(graph, ref, model.name);
  // A copy of the weights goes to the worker: the report hands these out too.
  const evidence: Firing | undefined = firing && { images: firing.images, fires: firing.fires };
  const s = await analysisPool().run('spectra', { conv, firing: evidence });
  return {
    model,
    layer: ref.id,
    node: ref.node,
    kernel: s.kernel,
    stride: s.stride,
    dilation: ref.dilation,
    groups: ref.groups,
    channels: ref.channels,
    N: s.N,
    filters: s.filters,
    summary: s.summary,
    centroidHistogram: s.centroidHistogram,
    weights: conv.weights,
    weightDims: conv.dims,
    spectra: s.spectra,
    profiles: s.profiles,
    meanProfile: s.meanProfile,
    profileBin: s.profileBin,
    firing: firing ? { folder: firing.folder, layer: firing.layer, images: firing.images, failed: firing.failed } : null,
    convLayers: convLayers(graph, model.name),
  };
}
