// `npm run bench`: speed and memory figures, printed (targets are checked here, not in unit tests).
//  - listing a 10,000-image folder and producing its first thumbnails (target: < 2 s to first thumbnails)
//  - single-image prediction latency of the demo model, through the service (runtime child process)
//  - event-loop stall while inference runs (sessions live off the main thread, so it should be ~0)
//  - the runtime process's pipe (tensor round trips) and opening a 251 MB model off the main thread
//  - feature evolution per checkpoint of the demo's zf-mini checkpoints against a plain forward loop (bench-evolution.ts)
//  - the report of a full-size ZF (249 MB) on 1,000 images against its slowest section alone (bench-report.ts)
//  - at the end, full-size ZF, AlexNet, VGG11 and ResNet18 at 224×224×3 against PyTorch (bench-real.ts)
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createService, type ConvscopeService } from '../src-main/core/service/service.ts';
import { defaultPaths, packageRoot } from '../src-main/core/model/resources.ts';
import { ModelSession } from '../src-main/core/model/model-session.ts';
import { nodeRuntimeHost } from '../src-main/core/runtime/launch-node.ts';
import { chooseProvider } from '../src-main/core/runtime/provider.ts';
import { spawnSync } from 'node:child_process';
import { invarianceBench } from './bench-invariance.ts';
import { topkBench } from './bench-topk.ts';
import { probeBench } from './bench-probe.ts';
import { reportBench } from './bench-report.ts';
import { evolutionBench } from './bench-evolution.ts';
import { spectraBench } from './bench-spectra.ts';
import { runtimeBench } from './bench-runtime.ts';
import { realBench } from './bench-real.ts';

const figures: [string, string, string][] = [];
const record = (name: string, value: string, target = '') => {
  figures.push([name, value, target]);
  console.log(`${name.padEnd(52)} ${value.padStart(14)}  ${target}`);
};

async function folderBench(service: ConvscopeService): Promise<void> {
  const samples = defaultPaths().images;
  const files: string[] = [];
  for (const cls of readdirSync(samples)) for (const f of readdirSync(path.join(samples, cls))) files.push(path.join(samples, cls, f));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'convscope-bench-'));
  try {
    for (let c = 0; c < 10; c++) mkdirSync(path.join(dir, `class-${c}`));
    for (let i = 0; i < 10_000; i++) copyFileSync(files[i % files.length], path.join(dir, `class-${i % 10}`, `img-${String(i).padStart(5, '0')}.png`));
    const t0 = performance.now();
    const folder = await service.openFolder({ path: dir });
    const tList = performance.now() - t0;
    const page = await service.listImages({ offset: 0, limit: 40 });
    await Promise.all(page.entries.map((e) => service.thumbnail({ path: e.path, size: 96 })));
    const tThumbs = performance.now() - t0;
    record(`open ${folder.count}-image folder (listing)`, `${tList.toFixed(0)} ms`);
    record('… and its first 40 thumbnails', `${tThumbs.toFixed(0)} ms`, 'target < 2000 ms');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function inferenceBench(service: ConvscopeService): Promise<void> {
  await service.openFolder({ path: defaultPaths().images });
  const { entries } = await service.listImages({ offset: 0, limit: 50 });
  await service.predict({ path: entries[0].path }); // warm-up
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  for (const e of entries) await service.predict({ path: e.path });
  const per = (performance.now() - t0) / entries.length;
  h.disable();
  record('predict one image (decode + preprocess + forward)', `${per.toFixed(2)} ms`);
  record('event-loop delay during inference, max', `${(h.max / 1e6).toFixed(1)} ms`, 'inference runs in a child process');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function mulberry32(seed: number, n: number): Float32Array {
  const out = new Float32Array(n);
  let a = seed >>> 0;
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296 * 2 - 1;
  }
  return out;
}

/** Deconvnet projections (issue 4): per conv layer, single-activation ms after and including the forward pass. */
async function deconvBench(): Promise<void> {
  const root = packageRoot();
  const models = [
    ['zf224 (ZF-like 3×224×224)', path.join(root, 'src-main/core/deconv/fixtures/zf224.onnx')],
    ['zf-mini', defaultPaths().model],
    ['alex-mini', path.join(root, 'resources/models/alex-mini/alex-mini.onnx')],
  ] as const;
  const host = nodeRuntimeHost();
  try {
    for (const [label, file] of models) {
      const m = await ModelSession.open(file, host, chooseProvider('cpu'));
      const { channels, height, width } = m.info.input;
      const x = mulberry32(224, channels * height * width);
      console.log(`\n${label} on ${m.info.provider}`);
      // Project from each conv layer's rectified output where there is one (what the paper shows).
      const convs = m.info.layers.filter((l) => l.kind === 'conv');
      for (const conv of convs) {
        const idx = m.info.layers.indexOf(conv);
        const next = m.info.layers[idx + 1];
        const layer = next?.kind === 'relu' ? next : conv;
        await m.prepare(layer.id);
        const acts = await m.keep('bench', x, [layer.id]);
        const maps = layer.shape[1];
        const maxima = Array.from({ length: maps }, (_, c) => {
          const hw = layer.shape[2] * layer.shape[3];
          let best = -Infinity;
          for (let i = c * hw; i < (c + 1) * hw; i++) best = Math.max(best, (acts[layer.id].data as Float32Array)[i]);
          return [c, best] as const;
        }).sort((a, b) => b[1] - a[1]);
        const top9 = maxima.slice(0, 9).map(([c]) => c);
        const engineMs: number[] = [];
        const roundTrip: number[] = [];
        for (let r = 0; r < 3; r++) {
          for (const channel of top9) {
            const t0 = performance.now();
            const [p] = await m.project('bench', async () => x, [{ layer: layer.id, channel, mode: 'single' }]);
            roundTrip.push(performance.now() - t0);
            engineMs.push(p.ms);
          }
        }
        const withForward: number[] = [];
        for (let r = 0; r < 9; r++) {
          const t0 = performance.now();
          await m.keep('bench', x, [m.info.outputs[0].name]);
          await m.project('bench', async () => x, [{ layer: layer.id, channel: top9[r % top9.length], mode: 'single' }]);
          withForward.push(performance.now() - t0);
        }
        const t0 = performance.now();
        const reps = 3;
        for (let r = 0; r < reps; r++) await m.project('bench', async () => x, top9.map((channel) => ({ layer: layer.id, channel, mode: 'single' as const })));
        const perSecond = (reps * top9.length) / ((performance.now() - t0) / 1000);
        record(`  ${layer.id} single: engine / round trip`, `${median(engineMs).toFixed(2)} / ${median(roundTrip).toFixed(2)} ms`, label.startsWith('zf224') && layer === m.info.layers.find((l) => l.id === layer.id) && conv === convs.at(-1) ? 'target ≤ 10 ms (conv5)' : '');
        record(`  ${layer.id} single incl. forward pass`, `${median(withForward).toFixed(2)} ms`, label.startsWith('zf224') && conv === convs.at(-1) ? 'target ≤ 40 ms (conv5)' : '');
        record(`  ${layer.id} batch of 9`, `${perSecond.toFixed(0)} proj/s`);
      }
      await m.close();
    }
  } finally {
    await host.close();
  }
  const torch = spawnSync('/usr/bin/python3', [path.join(packageRoot(), 'scripts/bench-torch.py')], { encoding: 'utf8', timeout: 300_000 });
  if (torch.status === 0) {
    const r = JSON.parse(torch.stdout.trim().split('\n').at(-1)!) as { medianMs: number; torch: string; threads: number };
    record(`PyTorch ${r.torch} autograd reference, zf224 relu5 incl. forward (${r.threads} threads)`, `${r.medianMs.toFixed(2)} ms`);
  } else {
    console.log('(PyTorch reference not run: /usr/bin/python3 with python3-torch is not installed)');
  }
}

const service = createService({ shell: 'server', provider: 'cpu' });
try {
  const info = await service.openModel({ path: defaultPaths().model });
  console.log(`Convscope benchmark — ${info.name} on ${info.provider} (${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''})\n`);
  await inferenceBench(service);
  await runtimeBench(record);
  await folderBench(service);
  await deconvBench();
  await invarianceBench(record);
  await topkBench(record);
  await evolutionBench(record);
  await spectraBench(record);
  await probeBench(record);
  await reportBench(record);
  record('peak RSS of the main process', `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  // Last, and in child processes of their own: full-size models (issue 13).
  await realBench(record);
} finally {
  await service.close();
}
