// `npm run bench` figures of feature evolution (issue 16): the demo's five zf-mini checkpoints
// (epochs 1, 2, 5, 10 and the final model) over a generated labelled folder (the 300 samples,
// flipped: written to a temp dir and deleted afterwards). Per checkpoint, images/s of the evolution
// scan (a top-9 scan of conv5 with the class scores fetched in the same passes, then 8 projections)
// against a plain forward loop of that checkpoint's untapped model over the same images (same decode
// + preprocessing, batch size and prefetch), alternating, best of two each. Then the whole set with
// every scan cached.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { runEvolution, type EvolutionResult } from '../src-main/core/analysis/evolution/run.ts';
import { defaultBatchSize } from '../src-main/core/analysis/map-maxima.ts';
import { decodeImage, listImageFolder, preprocess } from '../src-main/core/images/index.ts';
import { listCheckpoints } from '../src-main/core/model/checkpoints.ts';
import { ModelSession } from '../src-main/core/model/model-session.ts';
import { defaultPaths, packageRoot } from '../src-main/core/model/resources.ts';
import { nodeRuntimeHost } from '../src-main/core/runtime/launch-node.ts';
import { chooseProvider } from '../src-main/core/runtime/provider.ts';
import type { Record as BenchRecord } from './bench-record.ts';

/** 300 samples × 10 variants = 3,000 images: a checkpoint's fixed costs (its light copy, 8 projections, cache writes) amortise. */
const COPIES = 10;
/** Runs of each side per checkpoint; the best counts (on a shared machine, the least disturbed). */
const REPEAT = 2;
const LAYER = '/conv5/Conv_output_0';

/** COPIES variants of each sample (flip, flop, both, …), in the samples' class folders. */
export async function synthesise(dir: string): Promise<number> {
  const root = defaultPaths().images;
  let n = 0;
  for (const cls of readdirSync(root).sort()) {
    mkdirSync(path.join(dir, cls), { recursive: true });
    await Promise.all(readdirSync(path.join(root, cls)).sort().flatMap((f) => Array.from({ length: COPIES }, async (_, v) => {
      let img = sharp(path.join(root, cls, f));
      if (v & 1) img = img.flop();
      if (v & 2) img = img.flip();
      if (v & 4) img = img.rotate(90);
      if (v >= 8) img = img.extract({ left: v & 8 ? 2 : 0, top: v & 16 ? 2 : 0, width: 26, height: 26 });
      await img.png().toFile(path.join(dir, cls, `v${v}-${f}`));
      n++;
    })));
  }
  return n;
}

export async function evolutionBench(record: BenchRecord): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'convscope-bench-evolution-'));
  const host = nodeRuntimeHost();
  try {
    const images = await synthesise(path.join(dir, 'images'));
    const folder = await listImageFolder(path.join(dir, 'images'));
    const zf = path.join(packageRoot(), 'resources/models/zf-mini');
    const checkpoints = await listCheckpoints([path.join(zf, 'checkpoints'), path.join(zf, 'zf-mini.onnx')]);
    const choice = chooseProvider('cpu');
    const load = async (m: ModelSession, p: string) => preprocess(await decodeImage(path.join(folder.root, p), { channels: m.info.input.channels }), m.info.preprocessing);
    console.log(`\nfeature evolution: ${checkpoints.length} zf-mini checkpoints × ${images} images, layer ${LAYER}, 8 maps`);

    const paths = folder.entries.map((e) => e.path);
    /** The plain loop: the untapped copy, decode + preprocess prefetched one batch ahead; images/s. */
    const plain = async (m: ModelSession): Promise<number> => {
      const forward = await m.forwardAt([]);
      const { channels, height, width } = m.info.input;
      const size = channels * height * width;
      const batchSize = defaultBatchSize(size, images);
      const loadBatch = (start: number) => Promise.all(paths.slice(start, start + batchSize).map((p) => load(m, p)));
      const t0 = performance.now();
      let next = loadBatch(0);
      for (let start = 0; start < paths.length; start += batchSize) {
        const tensors = await next;
        if (start + batchSize < paths.length) next = loadBatch(start + batchSize);
        const batch = new Float32Array(tensors.length * size);
        tensors.forEach((t, j) => batch.set(t, j * size));
        await forward(batch, tensors.length, [m.info.outputs[0].name]);
      }
      return images / ((performance.now() - t0) / 1000);
    };
    const run = (cs: typeof checkpoints, cache: string, open?: ModelSession): Promise<EvolutionResult> => runEvolution({
      checkpoints: cs, open: async (c) => open ?? ModelSession.open(c.file, host, choice), close: async (m) => (m === open ? undefined : m.close()),
      folder, layer: LAYER, load, cacheDir: path.join(dir, cache),
    });
    // Warm-up (the compute pool, onnxruntime's first runs), not timed.
    await run(checkpoints.slice(0, 1), 'warm-up');
    // Alternating on the checkpoint's one session (a second session of the same file would share its
    // runtime key), each evolution run with an empty cache so that it scans every image.
    let fresh = 0;
    for (const c of checkpoints) {
      const m = await ModelSession.open(c.file, host, choice);
      const plainRuns: number[] = [];
      const evoRuns: number[] = [];
      for (let k = 0; k < REPEAT; k++) {
        plainRuns.push(await plain(m));
        const r = await run([c], `fresh-${fresh++}`, m);
        if (r.checkpoints[0].scanned !== images) throw new Error(`the evolution run scanned ${r.checkpoints[0].scanned} of ${images} images`);
        evoRuns.push(images / (r.checkpoints[0].ms / 1000));
      }
      await m.close();
      const base = Math.max(...plainRuns);
      const ips = Math.max(...evoRuns);
      record(`  ${c.name}: plain forward loop, untapped (best of ${REPEAT})`, `${base.toFixed(0)} img/s`);
      record(`  ${c.name}: evolution scan (top-1, accuracy, 8 projections)`, `${ips.toFixed(0)} img/s`);
      record('  … evolution / plain forward', `${(ips / base).toFixed(2)}×`, `target ≥ 0.8×${ips / base >= 0.8 ? '' : ': not met'}`);
    }
    // Once to fill one cache, then timed: the whole set again opens the checkpoints and projects, nothing more.
    await run(checkpoints, 'cache');
    const t1 = performance.now();
    const cached = await run(checkpoints, 'cache');
    record(`all ${checkpoints.length} checkpoints again, every scan from the cache`, `${((performance.now() - t1) / 1000).toFixed(2)} s`, `${cached.checkpoints.reduce((n, c) => n + c.scanned, 0)} images scanned`);
  } finally {
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await evolutionBench((name, value, target = '') => console.log(`${name.padEnd(64)} ${value.padStart(14)}  ${target}`));
}
