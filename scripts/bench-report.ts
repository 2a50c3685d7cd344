// `npm run bench` figure of the report (issue 19): the report of a 249 MB full-size ZF net (the
// paper's Fig. 3 at 224×224×3) over a folder of 1,000 images (the demo samples, copied), against each
// of its sections alone, each from an empty scan cache. Target: the whole report within 3× its
// slowest section alone. CONVSCOPE_BENCH_REPORT_IMAGES=N sets the folder size (a quicker look).
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { gatherReport, REPORT_SECTIONS, type ReportData, type ReportSection } from '../src-main/core/analysis/report/gather.ts';
import { reportHtml } from '../src-main/core/analysis/report/html.ts';
import { decodeImage, listImageFolder, preprocess } from '../src-main/core/images/index.ts';
import { ModelSession } from '../src-main/core/model/model-session.ts';
import { defaultPaths } from '../src-main/core/model/resources.ts';
import { zfFullWidthModel } from '../src-main/core/onnx/test-models.ts';
import { nodeRuntimeHost } from '../src-main/core/runtime/launch-node.ts';
import { chooseProvider } from '../src-main/core/runtime/provider.ts';
import type { Record as BenchRecord } from './bench-record.ts';

export async function reportBench(record: BenchRecord): Promise<void> {
  const count = Number(process.env.CONVSCOPE_BENCH_REPORT_IMAGES ?? 1000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'convscope-bench-report-'));
  const host = nodeRuntimeHost();
  try {
    const samples = defaultPaths().images;
    const files = readdirSync(samples).sort().flatMap((c) => readdirSync(path.join(samples, c)).sort().map((f) => [c, path.join(samples, c, f)] as const));
    for (let i = 0; i < count; i++) {
      const [cls, file] = files[i % files.length];
      mkdirSync(path.join(dir, 'images', cls), { recursive: true });
      copyFileSync(file, path.join(dir, 'images', cls, `${String(i).padStart(5, '0')}.png`));
    }
    const modelFile = path.join(dir, 'zf224.onnx');
    writeFileSync(modelFile, zfFullWidthModel(224, 13));
    const mb = statSync(modelFile).size / 1e6;
    const m = await ModelSession.open(modelFile, host, chooseProvider('cpu'));
    const listing = await listImageFolder(path.join(dir, 'images'));
    const folder = {
      root: listing.root,
      entries: listing.entries,
      load: async (p: string) => preprocess(await decodeImage(path.join(listing.root, p), { channels: m.info.input.channels }), m.info.preprocessing),
    };
    let run = 0;
    const timed = async (sections: readonly ReportSection[]) => {
      const t0 = performance.now();
      const d = await gatherReport(m, folder, { sections, cacheDir: path.join(dir, `cache-${run++}`), version: 'bench', date: 'bench' });
      reportHtml(d);
      return { s: (performance.now() - t0) / 1000, probe: d.probe };
    };
    const alone: [ReportSection, number][] = [];
    let probeAlone: ReportData['probe'] = null;
    for (const s of REPORT_SECTIONS) {
      const t = await timed([s]);
      alone.push([s, t.s]);
      if (s === 'probe') probeAlone = t.probe;
      record(`  report section ${s} alone, ${mb.toFixed(0)} MB ZF, ${count} images`, `${t.s.toFixed(1)} s`);
    }
    const { s: whole, probe } = await timed(REPORT_SECTIONS);
    const [slowest, worst] = alone.reduce((a, b) => (b[1] > a[1] ? b : a));
    // The whole report gathers the probe's features in the top-k scan's passes: it must not change them.
    const same = isDeepStrictEqual(probe, probeAlone) ? '' : '; its probe section DIFFERS from the probe alone';
    record(`report of the ${mb.toFixed(0)} MB ZF on ${count} images, all sections`, `${whole.toFixed(1)} s`,
      `${(whole / worst).toFixed(2)}× the slowest section alone (${slowest}) (target ≤ 3×${whole <= 3 * worst ? '' : ', not met'})${same}`);
    await m.close();
  } finally {
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
