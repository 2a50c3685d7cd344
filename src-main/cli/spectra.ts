// `convscope spectra`: filter-frequency diagnostics of a conv layer as a model lint for CI.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeSpectra, type FilterSpectraResult, type SpectraSummary } from '../common/api-spectra.ts';
import type { SkippedFile } from '../common/types.ts';
import { resolveConvLayer, scanFiring, spectraReport, type FiringEvidence } from '../core/analysis/spectra/index.ts';
import { decodeImage, preprocess, writeNpy } from '../core/images/index.ts';
import type { ModelSession, OpenOptions } from '../core/model/model-session.ts';
import { parse, required, UsageError } from './args.ts';
import { common, print, withModel, type CommandGroup } from './common.ts';
import { readableFolder, strictOption, STRICT_HELP, type ReadableFolder } from './folder.ts';

const USAGE = `Filter spectra (Zeiler & Fergus fig. 6: dead, dominating and aliasing filters):
  convscope spectra --model M [--layer L] [--images DIR [--strict]] [--json]
                    [--fail-on "dead>0,aliasing>0.25"] [--spectra-out P.npy] [--provider …]

  spectra   per filter of conv layer L (a layer id or Conv node name; default the first conv):
            rms, spectral centroid, low/mid/high band fractions, aliasing fraction at the
            layer's stride and flags dead / dominant / aliasing; the layer summary (DESIGN §3).
            --images scans an image folder: a filter whose activation (after its ReLU) never
            exceeds 0 on any image is dead too; firingRate = share of images where it does.
            --spectra-out writes the fftshifted power spectra K×N×N as float32 .npy. The model is
            opened as by \`info\` (a runtime session too), so both refuse the same models.
${STRICT_HELP}
  --fail-on comma-separated conditions METRIC OP VALUE, OP one of > >= < <= = ; the command
            exits 3 when any holds (the report is still printed). METRIC: dead, dominant,
            aliasing (flag counts, or shares of the layer's filters), meanAliasingFraction,
            midCoverage (shares). For the flag metrics a VALUE written with % (aliasing>25%),
            or with a fractional part and below 1 (aliasing>0.25), is a share of the filters;
            any other VALUE (dead>0, dominant>=2) is a count.

Exit codes (spectra): 0 ok, 3 a --fail-on condition holds, 1 failed (also: no image of DIR could be
read, or --strict and a file was skipped), 2 usage error.`;

const FLAG_METRICS = ['dead', 'dominant', 'aliasing'] as const;
const SHARE_METRICS = ['meanAliasingFraction', 'midCoverage'] as const;
type Metric = (typeof FLAG_METRICS)[number] | (typeof SHARE_METRICS)[number];
export const OPS = { '>': (a: number, b: number) => a > b, '>=': (a: number, b: number) => a >= b, '<': (a: number, b: number) => a < b, '<=': (a: number, b: number) => a <= b, '=': (a: number, b: number) => a === b } as const;
export type Op = keyof typeof OPS;

export interface FailCondition<M extends string = Metric> {
  text: string;
  metric: M;
  op: Op;
  threshold: number;
  /** Compare against the share of filters (flag metrics) rather than the count. */
  share: boolean;
}

export interface FailOutcome extends FailCondition {
  value: number;
  holds: boolean;
}

/**
 * Reads METRIC OP VALUE[,…]. `metrics` names what a command accepts: flag metrics are counts, or
 * shares with a % or a fraction below 1; share metrics are always shares (the report adds its own).
 */
export function parseFailOn<M extends string = Metric>(text: string, metrics: { flags: readonly M[]; shares: readonly M[] } = { flags: FLAG_METRICS, shares: SHARE_METRICS } as never): FailCondition<M>[] {
  const all: readonly string[] = [...metrics.flags, ...metrics.shares];
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) throw new UsageError('--fail-on needs at least one condition, e.g. "dead>0,aliasing>0.25"');
  return parts.map((part) => {
    const m = /^([A-Za-z]+)\s*(>=|<=|==|=|>|<)\s*([0-9]*\.?[0-9]+)\s*(%?)$/.exec(part);
    if (!m) throw new UsageError(`--fail-on: cannot read "${part}"; write METRIC OP VALUE, e.g. dead>0 or aliasing>0.25`);
    const metric = m[1] as M;
    if (!all.includes(metric)) {
      throw new UsageError(`--fail-on: unknown metric "${m[1]}" in "${part}"; use ${all.join(', ')}`);
    }
    const op = (m[2] === '==' ? '=' : m[2]) as Op;
    const raw = Number(m[3]);
    const percent = m[4] === '%';
    const isFlag = (metrics.flags as readonly string[]).includes(metric);
    const share = !isFlag || percent || (raw < 1 && !Number.isInteger(raw));
    return { text: part, metric, op, threshold: percent ? raw / 100 : raw, share };
  });
}

export function evaluateFailOn(conditions: FailCondition[], s: SpectraSummary): FailOutcome[] {
  return conditions.map((c) => {
    const count = s[c.metric];
    const isFlag = (FLAG_METRICS as readonly string[]).includes(c.metric);
    const value = isFlag && c.share ? (s.filters ? count / s.filters : 0) : count;
    return { ...c, value, holds: OPS[c.op](value, c.threshold) };
  });
}

async function firingWith(m: ModelSession, layer: string | undefined, folder: ReadableFolder): Promise<{ evidence: FiringEvidence; skipped: SkippedFile[] }> {
  const files = folder.entries.map((e) => e.path);
  const ref = resolveConvLayer(m.graph, m.info.name, layer);
  const { channels, height, width } = m.info.input;
  const scan = await scanFiring(files, async (f) => preprocess(await decodeImage(path.join(folder.root, f), { channels }), m.info.preprocessing), await m.forwardAt([ref.activation]), {
    layer: ref.activation,
    filters: ref.filters,
    inputSize: channels * height * width,
    onFailure: (f) => folder.skips.add({ path: files[f.index], reason: f.message }),
  });
  const skipped = folder.skips.finish(scan.images, files.length);
  return { evidence: { ...scan, folder: folder.root, layer: ref.activation }, skipped };
}

/** The JSON the command prints: the report without the arrays the view draws. */
export function reportJson(r: FilterSpectraResult) {
  return {
    model: r.model.path,
    layer: r.layer,
    node: r.node,
    kernel: r.kernel,
    stride: r.stride,
    dilation: r.dilation,
    groups: r.groups,
    channels: r.channels,
    N: r.N,
    filters: r.filters,
    summary: r.summary,
    centroidHistogram: r.centroidHistogram,
    firing: r.firing,
  };
}

function text(r: FilterSpectraResult, outcomes: FailOutcome[]): string {
  const lines = [
    `${r.model.name} ${r.layer} (${r.node}): ${r.kernel.join('×')} kernel, stride ${r.stride.join('×')}, ${r.channels} input channel(s)/filter, N = ${r.N}`,
    describeSpectra(r.summary, r.stride),
    r.firing ? `firing scanned on ${r.firing.images} images of ${r.firing.folder} at ${r.firing.layer}${r.firing.failed ? ` (${r.firing.failed} unreadable)` : ''}` : '',
    '   #      rms  centroid   low   mid  high  alias' + (r.firing ? '  firing' : '') + '  flags',
    ...r.filters.map((f) => {
      const cols = [
        String(f.index).padStart(4),
        f.rms.toPrecision(3).padStart(8),
        f.centroid.toFixed(3).padStart(9),
        f.bands.low.toFixed(2).padStart(5),
        f.bands.mid.toFixed(2).padStart(5),
        f.bands.high.toFixed(2).padStart(5),
        f.aliasingFraction.toFixed(2).padStart(6),
        ...(f.firingRate !== undefined ? [f.firingRate.toFixed(2).padStart(7)] : []),
      ];
      const why = f.flags.map((fl) => `${fl} (${f.reasons[fl]})`).join(', ');
      return `${cols.join(' ')}  ${why}`;
    }),
    ...outcomes.map((o) => `fail-on ${o.text}: ${o.share && FLAG_METRICS.includes(o.metric as never) ? `share ${o.value.toFixed(3)}` : `value ${Number(o.value.toFixed(4))}`} → ${o.holds ? 'HOLDS' : 'ok'}`),
  ];
  return lines.filter(Boolean).join('\n');
}

async function spectra(argv: string[]): Promise<number> {
  const values = parse(argv, { ...common, ...strictOption, layer: { type: 'string' }, images: { type: 'string' }, 'fail-on': { type: 'string' }, 'spectra-out': { type: 'string' } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const file = path.resolve(required(values, 'model'));
  const layer = values.layer as string | undefined;
  const conditions = values['fail-on'] === undefined ? [] : parseFailOn(String(values['fail-on']));
  if (values.strict && values.images === undefined) throw new UsageError('--strict applies to --images only');
  const t0 = performance.now();
  const model = { path: file, name: path.basename(file) };
  // Opened like every other command (a runtime session too, also for the weights alone), so spectra
  // refuses exactly the models `info` refuses, with the same message.
  // The folder is listed first: a --strict failure or an empty folder costs no model load.
  const folder = typeof values.images === 'string' ? await readableFolder(values.images, Boolean(values.strict)) : null;
  // The one copy loaded outputs only what the firing scan reads (nothing more without --images).
  const reads: OpenOptions['rewrite'] = (g) => ({ kind: 'outputs', tensors: folder ? [resolveConvLayer(g, model.name, layer).activation] : [] });
  const { report, skipped } = await withModel(values, async (m) => {
    const load = (names: string[]) => m.loadWeights(names);
    if (!folder) return { report: await spectraReport(m.graph, model, layer, undefined, load), skipped: null };
    const firing = await firingWith(m, layer, folder);
    return { report: await spectraReport(m.graph, model, layer, firing.evidence, load), skipped: firing.skipped };
  }, reads);
  const r: FilterSpectraResult = { ...report, ms: performance.now() - t0 };
  if (typeof values['spectra-out'] === 'string') {
    await writeFile(path.resolve(values['spectra-out']), writeNpy([r.filters.length, r.N, r.N], r.spectra));
  }
  const outcomes = evaluateFailOn(conditions, r.summary);
  const json = {
    ...reportJson(r),
    ...(skipped ? { skipped } : {}),
    ...(outcomes.length ? { failOn: outcomes.map((o) => ({ condition: o.text, value: o.value, share: o.share, holds: o.holds })) } : {}),
  };
  print(Boolean(values.json), json, () => text(r, outcomes));
  const held = outcomes.filter((o) => o.holds);
  if (held.length) {
    process.stderr.write(`convscope: --fail-on: ${held.map((o) => `${o.text} holds (${Number(o.value.toFixed(4))})`).join(', ')}\n`);
    return 3;
  }
  return 0;
}

export const spectraGroup: CommandGroup = { usage: USAGE, commands: { spectra } };
