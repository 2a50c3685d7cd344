// `convscope report`: the whole diagnosis of a model on a folder as one self-contained HTML file (or
// as JSON), and a CI gate over it.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cacheDir } from '../core/analysis/topk/cache.ts';
import { convscopeVersion, gatherReport, REPORT_SECTIONS, type ReportData, type ReportSection } from '../core/analysis/report/gather.ts';
import { reportHtml, reportJson } from '../core/analysis/report/html.ts';
import { decodeImage, preprocess } from '../core/images/index.ts';
import { parse, required, UsageError } from './args.ts';
import { common, withModel, type CommandGroup } from './common.ts';
import { readableFolder } from './folder.ts';
import { Interrupt } from './interrupt.ts';
import { clearLine, progressLine, type ProgressLine } from './progress.ts';
import { OPS, parseFailOn, type FailCondition } from './spectra.ts';

const USAGE = `Report:
  convscope report    --model M --images DIR [--out report.html] [--sections ${REPORT_SECTIONS.join(',')}]
                      [--json] [--fail-on "dead>0,neverFires>10%,aliasing>25%"] [--no-cache] [--provider …]

  report    one self-contained HTML file (images embedded, inline CSS, no script, no network): the
            model summary, the layer graph coloured by each health metric, filter spectra and flags
            of every conv layer, the maps that never fire, Top-9 of the most and least selective
            map of each conv layer, Fig. 5 invariance panels, occlusion maps and faithfulness of a
            few images, linear probe accuracy by layer, and provenance (model sha256, folder, image
            count, preprocessing, Convscope version, date, provider). Default --out: report.html
            (with --json, the same content is printed as data and --out is written only if given).
            Top-k scans come from the cache as \`topk\` keeps it (--no-cache: scan afresh). Probes
            need class sub-folders. Progress of each section goes to stderr.
  --fail-on as for \`spectra\`, evaluated per conv layer: the command exits 3 when a condition holds
            for any conv layer (the report is still written). METRIC: dead, dominant, aliasing
            (filters), neverFires (maps that never fire; needs the topk section) — counts, or shares
            with % or a fraction below 1 — and meanAliasingFraction, midCoverage (shares).

Exit codes (report): 0 ok, 3 a --fail-on condition holds, 1 failed, 2 usage error, 130 interrupted.`;

const FAIL_METRICS = { flags: ['dead', 'dominant', 'aliasing', 'neverFires'] as const, shares: ['meanAliasingFraction', 'midCoverage'] as const };
type ReportMetric = (typeof FAIL_METRICS.flags)[number] | (typeof FAIL_METRICS.shares)[number];

export interface ReportOutcome {
  text: string;
  holds: boolean;
  /** The conv layer it holds for first (or the worst value when none), and its value there. */
  layer: string | null;
  value: number | null;
}

/** --fail-on over the report: per conv layer, holding when it holds for any. */
export function evaluateReportFailOn(conditions: FailCondition<ReportMetric>[], d: ReportData): ReportOutcome[] {
  return conditions.map((c) => {
    const values: { layer: string; value: number }[] = [];
    if (c.metric === 'neverFires') {
      if (!d.topk) throw new UsageError(`--fail-on ${c.text}: neverFires needs the topk section`);
      for (const l of d.topk) values.push({ layer: l.layer, value: c.share ? (l.maps ? l.neverFires.length / l.maps : 0) : l.neverFires.length });
    } else {
      if (!d.spectra) throw new UsageError(`--fail-on ${c.text}: ${c.metric} needs the spectra section`);
      for (const s of d.spectra) {
        const v = s.summary[c.metric];
        const isFlag = c.metric === 'dead' || c.metric === 'dominant' || c.metric === 'aliasing';
        values.push({ layer: s.layer, value: isFlag && c.share ? (s.summary.filters ? v / s.summary.filters : 0) : v });
      }
    }
    const hit = values.find((v) => OPS[c.op](v.value, c.threshold));
    return { text: c.text, holds: hit !== undefined, layer: hit?.layer ?? null, value: hit?.value ?? null };
  });
}

function parseSections(text: string | undefined): ReportSection[] {
  if (text === undefined) return [...REPORT_SECTIONS];
  const parts = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new UsageError(`--sections needs at least one of ${REPORT_SECTIONS.join(', ')}`);
  for (const p of parts) if (!(REPORT_SECTIONS as readonly string[]).includes(p)) throw new UsageError(`--sections: unknown section "${p}"; use ${REPORT_SECTIONS.join(', ')}`);
  // Always in the report's own order, so the same sections give the same file.
  return REPORT_SECTIONS.filter((s) => parts.includes(s));
}

async function report(argv: string[]): Promise<number | void> {
  const values = parse(argv, { ...common, images: { type: 'string' }, out: { type: 'string' }, sections: { type: 'string' }, 'fail-on': { type: 'string' }, 'no-cache': { type: 'boolean' } });
  if (values.help) return void console.log(USAGE);
  required(values, 'model');
  const dir = required(values, 'images');
  const sections = parseSections(values.sections as string | undefined);
  const conditions = values['fail-on'] === undefined ? [] : parseFailOn<ReportMetric>(String(values['fail-on']), FAIL_METRICS);
  const json = Boolean(values.json);
  const out = typeof values.out === 'string' ? path.resolve(values.out) : json ? null : path.resolve('report.html');
  const folder = await readableFolder(dir, false);
  const version = await convscopeVersion();
  const interrupt = new Interrupt();
  try {
    return await withModel(values, async (m) => {
      let line: ProgressLine | undefined;
      let current = '';
      const data = await gatherReport(m, {
        root: folder.root,
        entries: folder.entries,
        load: async (p) => preprocess(await decodeImage(path.join(folder.root, p), { channels: m.info.input.channels }), m.info.preprocessing),
      }, {
        sections, cacheDir: values['no-cache'] ? null : cacheDir(), version, date: new Date().toISOString(), signal: interrupt.signal,
        onProgress: (section, done, total, unit) => {
          if (section !== current) {
            line?.end();
            current = section;
            process.stderr.write(`${clearLine()}convscope report: ${section}…\n`);
            line = progressLine(unit);
          }
          line?.update(done, total);
        },
      }).catch((e) => {
        line?.end();
        if (interrupt.received) return null;
        throw e;
      });
      line?.end();
      if (!data) {
        process.stderr.write('convscope: report interrupted; nothing written (top-k scans kept what they counted)\n');
        return interrupt.exitCode;
      }
      const outcomes = evaluateReportFailOn(conditions, data);
      if (out) await writeFile(out, reportHtml(data));
      if (json) process.stdout.write(JSON.stringify({ ...(reportJson(data) as object), ...(outcomes.length ? { failOn: outcomes } : {}) }, null, 2) + '\n');
      else process.stdout.write(`report of ${m.info.name} on ${folder.entries.length} images written to ${out}\n`);
      for (const o of outcomes) process.stderr.write(`fail-on ${o.text}: ${o.holds ? `HOLDS at ${o.layer} (${Number(o.value!.toFixed(4))})` : 'ok'}\n`);
      return outcomes.some((o) => o.holds) ? 3 : 0;
    });
  } finally {
    interrupt.dispose();
  }
}

export const reportGroup: CommandGroup = { usage: USAGE, commands: { report } };
