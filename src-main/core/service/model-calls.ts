// The Model overview call: per-layer metrics from what has been computed for the open model and
// folder — the top-k cache, the analyses run this session (remembered here as their calls return) —
// plus filter spectra, which need only the weights.
import type { FaithfulnessResult } from '../../common/api-occlusion.ts';
import type { InvarianceSweepResult } from '../../common/api-invariance.ts';
import { REPORT_SECTIONS, type LayerMetricsResult, type ReportSection, type ModelCalls, type ModelReportResult } from '../../common/api-model.ts';
import { convscopeVersion, gatherReport } from '../analysis/report/gather.ts';
import { reportHtml } from '../analysis/report/html.ts';
import { cacheDir } from '../analysis/topk/cache.ts';
import type { ProbeResult } from '../../common/api-probe.ts';
import type { SpectraSummary } from '../../common/api-spectra.ts';
import type { TopkLayerResult } from '../../common/api-topk.ts';
import type { ApiCalls } from '../../common/api.ts';
import { convLayers, faithfulnessMetric, flaggedMetric, invarianceCandidates, invarianceMetric, neverFiresMetric, probeMetric } from '../analysis/overview/metrics.ts';
import { defaultProbeLayers } from '../analysis/probe/run.ts';
import { spectraReport } from '../analysis/spectra/report.ts';
import type { ModelSession } from '../model/model-session.ts';
import type { ServiceContext } from './context.ts';

const MAX_FAITHFULNESS = 200;

/** The stages (progress sections of analysis/report/gather.ts) each report section goes through, in order. */
const REPORT_STAGES: Record<ReportSection, readonly string[]> = {
  spectra: ['spectra'],
  topk: ['top-k scan', 'top-9 tiles'],
  invariance: ['invariance'],
  occlusion: ['occlusion'],
  probe: ['probe features', 'probe fits'],
};

/** What the analyses returned for one model and folder; forgotten when either changes. */
export class AnalysisMemory {
  private key = '';
  probe: ProbeResult | null = null;
  sweeps: InvarianceSweepResult[] = [];
  faithfulness: FaithfulnessResult[] = [];
  private spectra = new Map<string, { layer: string; summary: SpectraSummary; flagged: number }>();

  /** The memory for `model` + `folder`: emptied when they are not the ones remembered. */
  at(model: string, folder: string | null): this {
    const key = `${model}\n${folder ?? ''}`;
    if (key !== this.key) {
      const spectra = model === this.key.split('\n')[0] ? this.spectra : new Map();
      Object.assign(this, { key, probe: null, sweeps: [], faithfulness: [], spectra });
    }
    return this;
  }

  addFaithfulness(r: FaithfulnessResult): void {
    this.faithfulness.push(r);
    if (this.faithfulness.length > MAX_FAITHFULNESS) this.faithfulness.shift();
  }

  /** Weight spectra per conv layer, computed once per model. */
  async spectraOf(session: ModelSession, layer: string) {
    const hit = this.spectra.get(layer);
    if (hit) return hit;
    const r = await spectraReport(session.graph, { path: session.info.path, name: session.info.name }, layer, undefined, (names) => session.loadWeights(names));
    const entry = { layer, summary: r.summary, flagged: r.filters.filter((f) => f.flags.length > 0).length };
    this.spectra.set(layer, entry);
    return entry;
  }
}

type Remembered = Pick<ApiCalls, 'probe' | 'invarianceSweep' | 'invarianceSweeps' | 'occlusionFaithfulness'>;

/** The calls whose results the overview reads, wrapped to remember them for the model and folder they ran on. */
export function rememberingCalls(ctx: ServiceContext, calls: Remembered, memory: AnalysisMemory): Remembered {
  const here = () => memory.at(ctx.requireModel().info.path, ctx.requireFolder().root);
  return {
    async probe(arg) {
      const m = here();
      const r = await calls.probe(arg);
      m.probe = r;
      return r;
    },
    async invarianceSweep(arg) {
      const m = here();
      const r = await calls.invarianceSweep(arg);
      m.sweeps.push(r);
      return r;
    },
    async invarianceSweeps(arg) {
      const m = here();
      const r = await calls.invarianceSweeps(arg);
      m.sweeps.push(...r.runs.filter((run) => !run.error));
      return r;
    },
    async occlusionFaithfulness(arg) {
      const m = here();
      const r = await calls.occlusionFaithfulness(arg);
      m.addFaithfulness(r);
      return r;
    },
  };
}

export function modelCalls(ctx: ServiceContext, calls: Pick<ApiCalls, 'topkCached'>, memory: AnalysisMemory): ModelCalls {
  return {
    async layerMetrics(arg): Promise<LayerMetricsResult> {
      const t0 = performance.now();
      const model = ctx.requireModel();
      const { layers, outputs } = model.info;
      let folder: string | null = null;
      try {
        folder = ctx.requireFolder().root;
      } catch {
        folder = null;
      }
      const m = memory.at(model.info.path, folder);
      const convs = convLayers(layers);
      const scans: TopkLayerResult[] = [];
      if (folder !== null) {
        // One layer at a time: a layer without a cached scan is simply not computed.
        for (const id of convs) {
          const cached = await calls.topkCached({ layers: [id] });
          const l = cached?.layers[0];
          if (l && l.images > 0) scans.push(l);
        }
      }
      const spectra = [];
      for (const id of convs) spectra.push(await m.spectraOf(model, id));
      const outs = outputs.map((o) => o.name);
      return {
        model: model.info.path,
        folder,
        metrics: [
          neverFiresMetric(layers, scans, folder),
          flaggedMetric(layers, spectra),
          probeMetric(defaultProbeLayers(layers, outs), m.probe, folder),
          invarianceMetric(invarianceCandidates(layers, outs), m.sweeps, arg),
          faithfulnessMetric(layers, m.faithfulness),
        ],
        ms: performance.now() - t0,
      };
    },

    async modelReport({ sections, jobId }): Promise<ModelReportResult> {
      const model = ctx.requireModel();
      const folder = ctx.requireFolder();
      const chosen = REPORT_SECTIONS.filter((s) => !sections || sections.includes(s));
      const version = await convscopeVersion();
      const label = `Report of ${model.info.name} on ${folder.entries.length} images`;
      const stages = chosen.flatMap((s) => REPORT_STAGES[s]);
      // Kept by id: a page reloaded while the report builds takes up its result (jobs, jobResult).
      return ctx.jobs.runKept('report', sections ? { sections } : {}, label, 1, async (job) => {
        const data = await gatherReport(model, { root: folder.root, entries: folder.entries, load: async (p) => (await ctx.inputTensor(p)).tensor }, {
          sections: chosen, cacheDir: cacheDir(), version, date: new Date().toISOString(), signal: job.signal,
          onProgress: (section, done, total, unit) => {
            // Numbered among the stages the chosen sections go through; one of them may be skipped (no conv layer, one class).
            const step = stages.indexOf(section) + 1;
            job.progress(done, total, section, step > 0 ? { step, steps: stages.length, unit } : undefined);
          },
        });
        return { fileName: `${model.info.name.replace(/\.onnx$/i, '')}-report.html`, html: reportHtml(data), sections: chosen };
      }, jobId, 'steps');
    },
  };
}
