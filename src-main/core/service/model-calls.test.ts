// layerMetrics through the real dispatcher and service on the shipped demo (zf-mini and its samples):
// every metric "not computed" until its analysis runs, then the analysis's own numbers, per layer.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LayerMetric, LayerMetricsResult } from '../../common/api-model.ts';
import type { ProbeResult } from '../../common/api-probe.ts';
import type { FilterSpectraResult } from '../../common/api-spectra.ts';
import type { TopkScanResult } from '../../common/api-topk.ts';
import { defaultPaths, packageRoot } from '../model/resources.ts';
import { createDispatcher, type Dispatch } from './dispatcher.ts';
import { createService, type ConvscopeService } from './service.ts';

let tmp: string;
let service: ConvscopeService;
let call: Dispatch;
const oldCache = process.env.CONVSCOPE_CACHE_DIR;
const CONV1 = '/conv1/Conv_output_0';
const CONV2 = '/conv2/Conv_output_0';

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-model-calls-'));
  process.env.CONVSCOPE_CACHE_DIR = path.join(tmp, 'cache');
  const dir = path.join(packageRoot(), 'resources/models/zf-mini');
  for (const f of ['zf-mini.onnx', 'zf-mini.convscope.json', 'labels.txt']) copyFileSync(path.join(dir, f), path.join(tmp, f));
  service = createService({ shell: 'server', provider: 'cpu' });
  call = createDispatcher(service);
  await service.openModel({ path: path.join(tmp, 'zf-mini.onnx') });
  await service.openFolder({ path: defaultPaths().images });
}, 60_000);

afterAll(async () => {
  await service.close();
  if (oldCache === undefined) delete process.env.CONVSCOPE_CACHE_DIR;
  else process.env.CONVSCOPE_CACHE_DIR = oldCache;
  rmSync(tmp, { recursive: true, force: true });
});

async function metrics(arg = {}): Promise<Record<string, LayerMetric>> {
  const r = await call('layerMetrics', arg);
  expect(r.ok, JSON.stringify(r)).toBe(true);
  const v = (r as { value: LayerMetricsResult }).value;
  return Object.fromEntries(v.metrics.map((m) => [m.name, m]));
}

describe('layerMetrics', () => {
  it('before any analysis: only the weight spectra, the rest "not computed", never 0', async () => {
    const m = await metrics();
    for (const name of ['neverFires', 'probe', 'invariance', 'faithfulness']) {
      expect(m[name].values, name).toEqual([]);
      expect(m[name].source, name).toBeNull();
      expect(m[name].missing, name).toMatch(/not computed — run/);
      expect(m[name].layers.length, name).toBeGreaterThan(0);
    }
    // Flagged filters match the spectra call's own report, layer by layer.
    for (const layer of [CONV1, CONV2]) {
      const s = (await call('filterSpectra', { layer })) as { ok: true; value: FilterSpectraResult };
      const v = m.flagged.values.find((x) => x.layer === layer)!;
      expect(v.value).toBeCloseTo(s.value.filters.filter((f) => f.flags.length).length / s.value.summary.filters, 12);
    }
    expect(m.flagged.missing).toBeNull();
  });

  it('after a top-k scan of one layer: that layer has its never-fires share, the others are still not computed', async () => {
    const scan = (await call('topkScan', { layers: [CONV2] })) as { ok: true; value: TopkScanResult };
    const l = scan.value.layers[0];
    const m = await metrics();
    expect(m.neverFires.values).toEqual([{ layer: CONV2, value: l.neverFires.length / l.maps.length, text: expect.stringContaining(`of ${l.maps.length} maps never fire on 300 images`) }]);
    expect(m.neverFires.source).toContain(defaultPaths().images);
    expect(m.neverFires.missing).toMatch(/^\d+ layers? not computed — run a top-k scan/);
  });

  it('after probes and a faithfulness run: their numbers per layer', async () => {
    const p = (await call('probe', { layers: [CONV1, CONV2], folds: 3 })) as { ok: true; value: ProbeResult };
    const f = await call('occlusionFaithfulness', { path: 'bag/' + 'x', layer: CONV2, channel: 0 });
    expect(f.ok).toBe(false); // a path not in the folder is refused, and remembered as nothing
    const list = (await call('listImages', { offset: 0, limit: 1 })) as { ok: true; value: { entries: { path: string }[] } };
    const ok = (await call('occlusionFaithfulness', { path: list.value.entries[0].path, layer: CONV2, channel: 3 })) as { ok: true; value: { value: number; projectedDrop: number } };
    const m = await metrics();
    expect(m.probe.values.map((v) => [v.layer, v.value])).toEqual(p.value.layers.map((l) => [l.layer, l.accuracy]));
    if (ok.value.value > 0) expect(m.faithfulness.values).toEqual([{ layer: CONV2, value: ok.value.projectedDrop / ok.value.value, text: expect.any(String) }]);
    else expect(m.faithfulness.values).toEqual([]);
    expect(m.faithfulness.source).toBe('occlusion faithfulness, 1 run');
  });

  it('after an invariance sweep: mean d̂ at the chosen θ, the largest |θ| by default', async () => {
    const list = (await call('listImages', { offset: 0, limit: 3 })) as { ok: true; value: { entries: { path: string }[] } };
    const paths = list.value.entries.map((e) => e.path);
    const r = await call('invarianceSweeps', { paths, sweeps: [{ transform: 'rotate', thetas: [0, 30, 90] }], layers: ['/relu1/Relu_output_0'] });
    expect(r.ok).toBe(true);
    const run = (r as { value: { runs: { images: { normalized: Record<string, Float32Array> }[] }[] } }).value.runs[0];
    const mean = (i: number) => run.images.reduce((a, im) => a + im.normalized['/relu1/Relu_output_0'][i], 0) / run.images.length;
    const m = await metrics();
    expect(m.invariance.values[0].value).toBeCloseTo(mean(2), 6);
    expect(m.invariance.source).toContain('θ = 90°');
    const at30 = await metrics({ transform: 'rotate', theta: 28 });
    expect(at30.invariance.values[0].value).toBeCloseTo(mean(1), 6);
    expect(mean(0)).toBe(0);
  });
});

describe('modelReport', () => {
  it('builds the report as a kept job with progress by section, and gives the same result by job id', async () => {
    const stages = new Set<string>();
    const numbered = new Map<string, string>();
    const off = service.on((e, p) => {
      const q = p as { jobId: string; stage?: string; step?: number; steps?: number; unit?: string };
      if (e !== 'progress' || q.jobId !== 'report-1') return;
      stages.add(q.stage ?? '');
      if (q.stage && q.step !== undefined) numbered.set(q.stage, `${q.step}/${q.steps} ${q.unit}`);
    });
    const r = await call('modelReport', { sections: ['spectra', 'topk'], jobId: 'report-1' });
    off();
    expect(r.ok).toBe(true);
    const v = (r as { value: { fileName: string; html: string; sections: string[] } }).value;
    expect(v.fileName).toBe('zf-mini-report.html');
    expect(v.sections).toEqual(['spectra', 'topk']);
    expect(v.html).toContain('data-section="spectra"');
    expect(v.html).toContain('data-section="topk"');
    expect(v.html).not.toContain('data-section="probe"');
    expect([...stages]).toEqual(expect.arrayContaining(['spectra', 'top-k scan']));
    // Numbered among the chosen sections' stages (spectra, top-k scan, top-9 tiles), each with its unit.
    expect(Object.fromEntries(numbered)).toMatchObject({ spectra: '1/3 layers', 'top-k scan': '2/3 images', 'top-9 tiles': '3/3 layers' });
    const again = (await call('jobResult', { jobId: 'report-1' })) as { ok: true; value: { kind: string; value: { html: string } } };
    expect(again.value.kind).toBe('report');
    expect(again.value.value.html).toBe(v.html);
  }, 60_000);
});
