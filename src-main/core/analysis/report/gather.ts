// The report's content: each section runs the analysis the app and the CLI run (top-k scans from the
// disk cache, spectra of the weights, probes, invariance sweeps, occlusion), in a fixed order over a
// sorted folder, so the same model and folder give the same report. Pictures are PNG bytes here;
// html.ts embeds them.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { packageRoot } from '../../model/resources.ts';
import type { InvarianceSweepResult, TransformKind } from '../../../common/api-invariance.ts';
import { defaultInvarianceLayers, defaultInvarianceRange, thetaRange } from '../../../common/api-invariance.ts';
import type { LayerMetric, ReportSection } from '../../../common/api-model.ts';
import type { FaithfulnessResult, OcclusionResult } from '../../../common/api-occlusion.ts';
import type { ProbeResult } from '../../../common/api-probe.ts';
import type { SpectraSummary } from '../../../common/api-spectra.ts';
import type { TopkLayerResult } from '../../../common/api-topk.ts';
import { AppError } from '../../../common/errors.ts';
import type { ImageEntry, Preprocessing } from '../../../common/types.ts';
import { matchClassToLabel } from '../../images/index.ts';
import type { ModelSession } from '../../model/model-session.ts';
import { tensorToPixels } from '../../model/pixels.ts';
import { sweepBatchSize, sweepForward, sweepImages, sweepSteps } from '../invariance/index.ts';
import { runFaithfulness, runOcclusion, strongestMaps } from '../occlusion/run.ts';
import { resolveScanLayer } from '../topk/layers.ts';
import { convLayers, faithfulnessMetric, flaggedMetric, invarianceCandidates, invarianceMetric, neverFiresMetric, probeMetric } from '../overview/metrics.ts';
import { defaultProbeLayers, fitProbes, probeModel, probeSetup, type GatheredProbe, type ProbeFolder } from '../probe/run.ts';
import { scanProbe } from '../probe/scan-features.ts';
import { spectraReport } from '../spectra/report.ts';
import { runTopk } from '../topk/run.ts';
import { topkTiles } from '../topk/tiles.ts';
import { enlargedPng, filterGridPng, heatmapPng } from './figures.ts';

export { REPORT_SECTIONS, type ReportSection } from '../../../common/api-model.ts';

/** Convscope's version, from its package.json. */
export async function convscopeVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(path.join(packageRoot(), 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

export interface ReportFolder {
  root: string;
  /** Sorted by path (the listing's order). */
  entries: ImageEntry[];
  load: (rel: string) => Promise<Float32Array>;
}

export interface ReportOptions {
  sections: readonly ReportSection[];
  cacheDir: string | null;
  version: string;
  /** Fixed by the caller (the tests mask it); ISO 8601. */
  date: string;
  signal?: AbortSignal;
  /** Per section: what it is doing, done / total in `unit`. */
  onProgress?: (section: string, done: number, total: number, unit: string) => void;
}

export interface ReportTile {
  image: string;
  value: number;
  patch: Uint8Array;
  projection: Uint8Array | null;
}

export interface ReportData {
  provenance: {
    model: string; file: string; sha256: string; sizeBytes: number; folder: string; images: number; classes: number;
    preprocessing: Preprocessing; version: string; date: string; provider: string; providerReason: string; sections: ReportSection[];
  };
  summary: {
    opset: number; producer: string; input: string; numClasses: number; params: number;
    layers: { id: string; op: string; kind: string; shape: number[]; params: number; receptiveField: string; inputs: string[] }[];
    inputName: string; inputDims: (number | string)[];
  };
  metrics: LayerMetric[];
  spectra: { layer: string; summary: SpectraSummary; flagged: { index: number; flags: string[] }[]; kernel: [number, number]; stride: [number, number]; filtersPng: Uint8Array | null; meanProfile: number[]; profileBin: number }[] | null;
  topk: { layer: string; tensor: string; images: number; maps: number; neverFires: number[]; most: { channel: number; firingRate: number; tiles: ReportTile[] } | null; least: { channel: number; firingRate: number; tiles: ReportTile[] } | null }[] | null;
  invariance: { layers: string[]; images: number; runs: { transform: TransformKind; thetas: number[]; meanNormalized: Record<string, number[]>; meanPTrue: number[]; perImagePTrue: { path: string; p: number[] }[] }[] } | null;
  occlusion: { images: { path: string; imagePng: Uint8Array; heatPng: Uint8Array; targetLabel: string; baseP: number; minP: number; grid: [number, number]; size: number; stride: number }[]; faithfulness: { layer: string; path: string; channel: number; value: number; projectedDrop: number; randomDrop: number }[] } | null;
  probe: Omit<ProbeResult, 'ms' | 'skipped'> & { skipped: number } | null;
}

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The first image of each class in turn (sorted), up to n: a spread over the folder, always the same. */
export function spreadImages(entries: readonly ImageEntry[], n: number): ImageEntry[] {
  const byClass = new Map<string, ImageEntry[]>();
  for (const e of entries) byClass.set(e.className ?? '', [...(byClass.get(e.className ?? '') ?? []), e]);
  const lists = [...byClass.values()];
  const out: ImageEntry[] = [];
  for (let i = 0; out.length < n && lists.some((l) => l.length > i); i++) for (const l of lists) if (l[i] && out.length < n) out.push(l[i]);
  return out;
}

/** The probe's feature collector for the top-k scan of `convs`; null when the probe cannot be set up (its own run then says why). */
function sharedProbe(model: ModelSession, folder: ProbeFolder, convs: readonly string[]) {
  const { info } = model;
  try {
    return scanProbe(probeSetup(model, folder), convs.map((id) => resolveScanLayer(info.layers, id, info.name).tensor));
  } catch {
    return null;
  }
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

export async function gatherReport(model: ModelSession, folder: ReportFolder, o: ReportOptions): Promise<ReportData> {
  const info = model.info;
  const has = (s: ReportSection) => o.sections.includes(s);
  const progress = o.onProgress ?? (() => {});
  const check = () => {
    if (o.signal?.aborted) throw new AppError('CANCELLED', 'the report was cancelled');
  };
  const convs = convLayers(info.layers);
  const outs = info.outputs.map((x) => x.name);
  const classes = new Set(folder.entries.map((e) => e.className).filter((c) => c !== null)).size;

  const data: ReportData = {
    provenance: {
      model: info.name, file: info.path, sha256: await sha256(info.path), sizeBytes: info.sizeBytes, folder: folder.root, images: folder.entries.length, classes,
      preprocessing: info.preprocessing, version: o.version, date: o.date, provider: info.provider, providerReason: info.providerReason, sections: [...o.sections],
    },
    summary: {
      opset: info.opset, producer: info.producer, input: `${info.input.name} [${info.input.dims.join('×')}]`, numClasses: info.numClasses,
      params: info.layers.reduce((a, l) => a + l.params, 0), inputName: info.input.name, inputDims: info.input.dims,
      layers: info.layers.map((l) => ({
        id: l.id, op: l.op, kind: l.kind, shape: l.shape, params: l.params, inputs: l.inputs ?? [],
        receptiveField: l.receptiveField ? `${l.receptiveField.size.join('×')} / ${l.receptiveField.stride.join('×')}` : '',
      })),
    },
    metrics: [], spectra: null, topk: null, invariance: null, occlusion: null, probe: null,
  };

  // Spectra: every conv layer's flags; the filter picture and profile of each.
  const spectra: { layer: string; summary: SpectraSummary; flagged: number }[] = [];
  if (has('spectra')) {
    data.spectra = [];
    for (const [i, id] of convs.entries()) {
      check();
      progress('spectra', i, convs.length, 'layers');
      const r = await spectraReport(model.graph, { path: info.path, name: info.name }, id, undefined, (names) => model.loadWeights(names));
      const flagged = r.filters.filter((f) => f.flags.length).map((f) => ({ index: f.index, flags: [...f.flags] }));
      spectra.push({ layer: id, summary: r.summary, flagged: flagged.length });
      // Filter pictures for the small kernels people read (the first layers); a 1×1 shows nothing.
      const show = r.weightDims[2] * r.weightDims[3] > 1 && r.weightDims[0] <= 512;
      data.spectra.push({
        layer: id, summary: r.summary, flagged, kernel: r.kernel, stride: r.stride,
        filtersPng: show ? await filterGridPng(r.weights, r.weightDims, Math.max(2, Math.round(48 / Math.max(r.weightDims[2], r.weightDims[3])))) : null,
        meanProfile: [...r.meanProfile], profileBin: r.profileBin,
      });
    }
    progress('spectra', convs.length, convs.length, 'layers');
  }

  // Top-k: every conv layer, from the cache where it holds the folder; tiles of the most and least selective maps.
  // With probes asked for too, the scan's passes gather the probe's features (one pass over the folder, not two).
  const probeFolder: ProbeFolder = { root: folder.root, entries: folder.entries, load: folder.load };
  const wantProbe = has('probe') && classes >= 2;
  let scanned: (() => GatheredProbe | null) | null = null;
  let scans: TopkLayerResult[] = [];
  if (has('topk') && convs.length) {
    check();
    const shared = wantProbe ? sharedProbe(model, probeFolder, convs) : null;
    const r = await runTopk({
      model, folder: { root: folder.root, paths: folder.entries.map((e) => e.path) }, layers: convs, load: folder.load, cacheDir: o.cacheDir, signal: o.signal,
      onProgress: (d, t) => progress('top-k scan', d, t, 'images'),
      ...(shared ? { also: shared.also, means: shared.means, onAlso: shared.onAlso } : {}),
    });
    if (shared) scanned = () => shared.finish(r!.failures);
    scans = r!.layers;
    data.topk = [];
    for (const [i, l] of scans.entries()) {
      check();
      progress('top-9 tiles', i, scans.length, 'layers');
      const firing = l.maps.filter((m) => m.firingRate > 0 && m.entries.length);
      // Selective: fires on the fewest images (ties: the lower channel); the least selective on the most.
      const most = firing.length ? firing.reduce((a, b) => (b.firingRate < a.firingRate ? b : a)) : null;
      const least = firing.length ? firing.reduce((a, b) => (b.firingRate > a.firingRate ? b : a)) : null;
      const tilesOf = async (m: NonNullable<typeof most>) => {
        const entries = m.entries.map((e) => ({ ...e, index: folder.entries.findIndex((x) => x.path === e.image) }));
        const tensors = await Promise.all(entries.map((e) => folder.load(e.image)));
        const { tiles } = await topkTiles(model, entries, tensors, l.tensor, m.channel, true, `report|${l.layer}|${m.channel}`);
        return { channel: m.channel, firingRate: m.firingRate, tiles: tiles.map((t) => ({ image: t.image, value: t.value, patch: t.patch, projection: t.projection })) };
      };
      data.topk.push({
        layer: l.layer, tensor: l.tensor, images: l.images, maps: l.maps.length, neverFires: l.neverFires,
        most: most ? await tilesOf(most) : null, least: least && least !== most ? await tilesOf(least) : null,
      });
    }
  }

  // Invariance: Fig. 5's three transforms over a few images of different classes, at the paper's ranges.
  const sweeps: InvarianceSweepResult[] = [];
  if (has('invariance')) {
    const items = spreadImages(folder.entries, 5).map((e) => ({ path: e.path, className: e.className }));
    const layers = [...new Set([...defaultInvarianceLayers(info.layers), ...invarianceCandidates(info.layers, outs)])].slice(0, 32);
    const forward = await sweepForward(model, layers);
    const { channels, height, width } = info.input;
    const kinds: TransformKind[] = ['translate-y', 'scale', 'rotate'];
    const specs = kinds.map((transform) => {
      const r = defaultInvarianceRange(transform, [height, width]);
      return { transform, thetas: thetaRange(r.from, r.to, r.steps) };
    });
    const total = items.length * specs.reduce((a, s) => a + sweepSteps(s), 0);
    let done = 0;
    data.invariance = { layers: defaultInvarianceLayers(info.layers), images: items.length, runs: [] };
    for (const s of specs) {
      check();
      const images = await sweepImages(items, (it) => folder.load(it.path), forward, {
        transform: s.transform, thetas: s.thetas, layers, outputIsProbability: model.outputIsProbability,
        dims: [channels, height, width], labels: info.labels, numClasses: info.numClasses, label: (i) => model.label(i),
        batchSize: sweepBatchSize(sweepSteps(s), channels * height * width), signal: o.signal,
        onSteps: (n) => progress('invariance', (done += n), total, 'steps'),
      });
      sweeps.push({ transform: s.transform, thetas: s.thetas, layers, labels: [], images, ms: 0 });
      const meanNormalized: Record<string, number[]> = {};
      for (const l of data.invariance.layers) meanNormalized[l] = s.thetas.map((_, i) => mean(images.map((im) => im.normalized[l][i]).filter(Number.isFinite)));
      data.invariance.runs.push({
        transform: s.transform, thetas: s.thetas, meanNormalized,
        meanPTrue: s.thetas.map((_, i) => mean(images.map((im) => im.pTrue[i]))),
        perImagePTrue: images.map((im) => ({ path: im.path, p: [...im.pTrue] })),
      });
    }
  }

  // Occlusion: three images of different classes (Fig. 7), and faithfulness of each conv layer's strongest map on them.
  const faith: FaithfulnessResult[] = [];
  if (has('occlusion')) {
    const picks = spreadImages(folder.entries, 3);
    data.occlusion = { images: [], faithfulness: [] };
    const { channels, height, width } = info.input;
    const total = picks.length * (1 + convs.length);
    let done = 0;
    for (const e of picks) {
      check();
      const x = await folder.load(e.path);
      const trueClass = e.className === null ? null : matchClassToLabel(e.className, info.labels);
      const r: OcclusionResult = await runOcclusion(model, x, e.path, { trueClass, signal: o.signal });
      progress('occlusion', ++done, total, 'runs');
      const px = tensorToPixels(x, [channels, height, width], info.preprocessing);
      const zoom = Math.max(1, Math.round(192 / Math.max(height, width)));
      const pClass = [...r.pClass];
      data.occlusion.images.push({
        path: e.path, imagePng: await enlargedPng(px.data, px.channels, width, height, zoom),
        heatPng: await heatmapPng(r.pClass, r.grid[0], r.grid[1], Math.max(4, Math.round((zoom * height) / r.grid[0]))),
        targetLabel: r.targetLabel, baseP: r.base.pClass, minP: Math.min(...pClass), grid: r.grid, size: r.size, stride: r.stride,
      });
      // Every layer's strongest map from one forward pass.
      const strongest = await strongestMaps(model, x, convs.map((layer) => resolveScanLayer(info.layers, layer, info.name).tensor));
      for (const [li, layer] of convs.entries()) {
        check();
        const { channel } = strongest[li];
        const f = await runFaithfulness(model, x, e.path, `report|${folder.root}|${e.path}`, { layer, channel });
        const { maskPixels: _m, ...rest } = f;
        faith.push({ ...rest, mask: new Uint8Array(0) });
        data.occlusion.faithfulness.push({ layer, path: e.path, channel: f.channel, value: f.value, projectedDrop: f.projectedDrop, randomDrop: f.randomDrop });
        progress('occlusion', ++done, total, 'runs');
      }
    }
  }

  // Probes: every conv and hidden fc layer, 5-fold (DESIGN §3), when the folder has classes.
  // Their features come from the top-k scan's passes when it read every image, else from a pass of their own.
  let probe: ProbeResult | null = null;
  if (wantProbe) {
    check();
    const gathered = scanned?.() ?? null;
    if (gathered) progress('probe features', gathered.images.paths.length, gathered.images.paths.length, 'images');
    probe = gathered
      ? await fitProbes(gathered, (d, t) => progress('probe fits', d, t, 'fits'), o.signal)
      : await probeModel(model, probeFolder, {}, (stage, d, t) => progress(stage === 'images' ? 'probe features' : 'probe fits', d, t, stage === 'images' ? 'images' : 'fits'), o.signal);
    const { ms: _ms, skipped, ...rest } = probe;
    data.probe = { ...rest, skipped: skipped.length };
  }

  data.metrics = [
    neverFiresMetric(info.layers, scans, has('topk') ? folder.root : null),
    flaggedMetric(info.layers, spectra),
    probeMetric(defaultProbeLayers(info.layers, outs), probe, folder.root),
    invarianceMetric(invarianceCandidates(info.layers, outs), sweeps),
    faithfulnessMetric(info.layers, faith),
  ];
  return data;
}
