// `npm run bench`: speed and memory figures, printed (targets are checked here, not in unit tests).
//  - listing a 10,000-image folder and producing its first thumbnails (target: < 2 s to first thumbnails)
//  - single-image prediction latency of the demo model, through the service (worker thread)
//  - event-loop stall while inference runs (sessions live off the main thread, so it should be ~0)
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ConvscopeService } from '../src-main/core/service/service.ts';
import { defaultPaths } from '../src-main/core/service/defaults.ts';

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
  record('event-loop delay during inference, max', `${(h.max / 1e6).toFixed(1)} ms`, 'inference runs in a worker');
}

const service = new ConvscopeService({ shell: 'server', provider: 'cpu' });
try {
  const info = await service.openModel({ path: defaultPaths().model });
  console.log(`Convscope benchmark — ${info.name} on ${info.provider} (${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''})\n`);
  await inferenceBench(service);
  await folderBench(service);
  record('peak RSS of the main process', `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
} finally {
  await service.close();
}
