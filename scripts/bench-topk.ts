// `npm run bench` figures of the topk analysis: a top-9 scan of one layer of the demo model over a
// generated 10,000-image folder (the samples flipped and cropped; written to a temp dir and deleted
// afterwards), against a plain forward loop of the untapped model over the same images (same
// decode + preprocessing, same batch size, same prefetch). Each runs in a child process of its own,
// so its peak RSS (maxRSS) and its main thread's event-loop delay are its own. Then the scan's
// per-batch reduction at a real first layer's size.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { defaultPaths } from '../src-main/core/model/resources.ts';
import type { Record as BenchRecord } from './bench-record.ts';
import { loopDelayDuring, loopTarget, type LoopDelay } from './bench-loop.ts';
import { analysisPool } from '../src-main/core/analysis/compute.ts';
import { reduceMaps } from '../src-main/core/analysis/map-maxima.ts';
import { redisServerBinary, startRedis } from '../src-main/core/distributed/testing.ts';
import { defaultShardSize, MAX_DEFAULT_SHARDS } from '../src-main/core/distributed/topk-remote.ts';

const IMAGES = 10_000;
const LAYER = '/conv5/Conv_output_0';

/**
 * The scan's per-batch reduction at the size of a real first layer (16 images of AlexNet conv1:
 * 96×55×55 maps), where it costs the most: through the compute pool as scans run it, with the main
 * thread's event-loop delay meanwhile, and on this thread for comparison (all of which would be delay).
 */
async function reduceBench(record: BenchRecord): Promise<void> {
  const n = 16;
  const dims = [n, 96, 55, 55];
  const size = dims.reduce((a, b) => a * b);
  const fresh = () => ({ type: 'float32' as const, dims, data: Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.37)) });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const tensors = Array.from({ length: 8 }, fresh);
  await analysisPool().run('reduceMaps', { tensors: { l: fresh() }, n }); // the worker is up
  const each: number[] = [];
  const d = await loopDelayDuring(async () => {
    for (const t of tensors) {
      const t0 = performance.now();
      await analysisPool().run('reduceMaps', { tensors: { l: t }, n }, { transfer: [t.data.buffer] });
      each.push(performance.now() - t0);
    }
  });
  const direct: number[] = [];
  const t = fresh();
  for (let i = 0; i < 8; i++) {
    const t0 = performance.now();
    reduceMaps(t, n);
    direct.push(performance.now() - t0);
  }
  record('reduce a batch of 16×96×55×55 maps in the pool', `${median(each).toFixed(1)} ms`);
  record('… event-loop delay of the main thread, max', `${d.max.toFixed(1)} ms`, loopTarget(d.max));
  record('… the same reduction on the main thread', `${median(direct).toFixed(1)} ms`, '(all of it would be delay)');
}

/**
 * The same scan through Redis and one `convscope worker` process (issue 18): the queue's overhead
 * against the local scan, the parent's merge, and from those a projection for the paper's 1.3 M
 * images on n workers (each on a machine like this one, the folder on a shared file system).
 */
async function queueBench(record: BenchRecord, dir: string, local: ChildResult): Promise<void> {
  if (!redisServerBinary()) return void console.log('(queue rows not run: redis-server is not installed)');
  const redis = await startRedis();
  const bin = fileURLToPath(new URL('../bin/convscope.mjs', import.meta.url));
  // The bench's own event loop stays free (spawnSync would block it): the worker's output is read as it comes.
  const worker = spawn(process.execPath, [bin, 'worker', '--redis', redis.url, '--provider', 'cpu'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  worker.stderr.on('data', (d: Buffer) => (log += d.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      worker.stderr.on('data', () => /taking shards/.test(log) && resolve());
      worker.once('exit', () => reject(new Error(`convscope worker exited:\n${log}`)));
    });
    const script = fileURLToPath(new URL('./bench-topk-child.ts', import.meta.url));
    const out = await new Promise<string>((resolve, reject) => {
      const c = spawn(process.execPath, ['--import', 'tsx', script, 'queue', dir, LAYER, redis.url], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      c.once('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`bench-topk-child queue failed: ${stderr}`))));
    });
    const q = JSON.parse(out.trim().split('\n').at(-1)!) as ChildResult;
    const shards = Math.ceil(q.images / defaultShardSize(q.images));
    const ips = q.images / q.seconds;
    const ratio = ips / (local.images / local.seconds);
    const overheadMs = ((q.seconds - local.seconds) * 1000) / shards;
    const merge = [...log.matchAll(/merge \S+ of (\d+) shards: read in ([\d.]+) ms, merged in ([\d.]+) ms/g)].at(-1);
    record(`… through Redis, one worker (${shards} shards)`, `${ips.toFixed(0)} img/s`);
    record('… queue / local scan', `${ratio.toFixed(2)}×`, `target ≥ 0.9×${ratio < 0.9 ? ' (not met)' : ''}`);
    record('… overhead per shard (queue − local time) / shards', `${overheadMs.toFixed(0)} ms`);
    if (merge) record(`… merge of ${merge[1]} shards (read + merge)`, `${merge[2]} + ${merge[3]} ms`);
    // 1.3 M images cut into the default 256 shards; each worker scans at the measured rate; the merge
    // grows with the shard count (read and merge are linear in it).
    const big = 1_300_000;
    const mergeS = merge ? ((Number(merge[2]) + Number(merge[3])) / 1000) * (MAX_DEFAULT_SHARDS / Number(merge[1])) : 0;
    const seconds = (n: number) => big / (n * ips) + mergeS;
    const span = (s: number) => (s < 120 ? `${s.toFixed(0)} s` : s < 7200 ? `${(s / 60).toFixed(0)} min` : `${(s / 3600).toFixed(1)} h`);
    record('1.3 M images (zf-mini), projected: 1 / 8 / 32 workers', [1, 8, 32].map((n) => span(seconds(n))).join(' / '), '(machines like this; folder shared)');
  } finally {
    if (worker.exitCode === null && worker.signalCode === null) {
      const exited = new Promise((r) => worker.once('exit', r));
      worker.kill('SIGTERM');
      await exited;
    }
    await redis.stop();
  }
}

/** 10,000 variants of the samples: every 300th image is a new (flip, flop, crop) combination. */
async function synthesise(dir: string): Promise<void> {
  const root = defaultPaths().images;
  const files: [string, string][] = [];
  for (const cls of readdirSync(root).sort()) for (const f of readdirSync(path.join(root, cls)).sort()) files.push([cls, path.join(root, cls, f)]);
  for (const [cls] of files) mkdirSync(path.join(dir, cls), { recursive: true });
  let next = 0;
  const work = async () => {
    while (next < IMAGES) {
      const i = next++;
      const [cls, file] = files[i % files.length];
      const v = Math.floor(i / files.length);
      let img = sharp(file);
      if (v & 1) img = img.flop();
      if (v & 2) img = img.flip();
      const crop = (v >> 2) % 5; // 0: none, else a 24×24 crop at one of four corners
      if (crop) img = img.extract({ left: crop & 1 ? 4 : 0, top: crop & 2 ? 4 : 0, width: 24, height: 24 });
      await img.png().toFile(path.join(dir, cls, `v${String(i).padStart(5, '0')}.png`));
    }
  };
  await Promise.all(Array.from({ length: 8 }, work));
}

interface ChildResult {
  mode: string;
  images: number;
  seconds: number;
  maxRssMb: number;
  loop: LoopDelay;
  idle: LoopDelay;
}

function child(mode: 'scan' | 'plain' | 'queue', dir: string, url = ''): ChildResult {
  const script = fileURLToPath(new URL('./bench-topk-child.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, mode, dir, LAYER, url], { encoding: 'utf8', timeout: 900_000 });
  if (r.status !== 0) throw new Error(`bench-topk-child ${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ChildResult;
}

export async function topkBench(record: BenchRecord): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'convscope-bench-topk-'));
  try {
    const t0 = performance.now();
    await synthesise(dir);
    console.log(`\ntop-k: generated ${IMAGES} images in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const plain = child('plain', dir);
    const scan = child('scan', dir);
    const ips = (r: ChildResult) => r.images / r.seconds;
    record(`plain forward loop, untapped zf-mini (${plain.images} images)`, `${ips(plain).toFixed(0)} img/s`);
    record(`top-9 scan of ${LAYER} (${scan.images} images)`, `${ips(scan).toFixed(0)} img/s`);
    record('… scan / plain forward', `${(ips(scan) / ips(plain)).toFixed(2)}×`, 'target ≥ 0.8×');
    record('… peak RSS of the scan process', `${scan.maxRssMb.toFixed(0)} MB`, 'target < 1500 MB');
    record('… peak RSS of the plain loop process', `${plain.maxRssMb.toFixed(0)} MB`);
    record('… event-loop delay of the scan\'s main thread, max', `${scan.loop.max.toFixed(1)} ms`, loopTarget(scan.loop.max));
    record('… of the plain loop\'s (decode + forward only), max', `${plain.loop.max.toFixed(1)} ms`);
    record('… of the scan process idle afterwards, max', `${scan.idle.max.toFixed(1)} ms`, '(the machine\'s own noise)');
    await queueBench(record, dir, scan);
    await reduceBench(record);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await topkBench((name, value, target = '') => console.log(`${name.padEnd(52)} ${value.padStart(14)}  ${target}`));
}
