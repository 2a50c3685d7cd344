// `npm run bench` figures of linear probes (issue 16): images/s of probe feature gathering (every
// conv and hidden fc layer's means, reduced in-graph) against a plain forward loop of the untapped
// model over the same images (same decode + preprocessing, batch size and prefetch), both on the
// demo model; then the k-fold fit time on synthetic features of 10,000 images × 512 and × 4,096.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { analysisProcessPool } from '../src-main/core/analysis/compute.ts';
import { gatherFeatures } from '../src-main/core/analysis/probe/features.ts';
import { probePlan } from '../src-main/core/analysis/probe/run.ts';
import { decodeImage, preprocess } from '../src-main/core/images/index.ts';
import { ModelSession } from '../src-main/core/model/model-session.ts';
import { defaultPaths } from '../src-main/core/model/resources.ts';
import { nodeRuntimeHost } from '../src-main/core/runtime/launch-node.ts';
import { chooseProvider } from '../src-main/core/runtime/provider.ts';
import type { Record as BenchRecord } from './bench-record.ts';

const IMAGES = 1_500;
const BATCH = 32;

/** The plain loop: the same loading and prefetch as gatherFeatures, through the untapped model. */
async function plainLoop(m: ModelSession, count: number, load: (i: number) => Promise<Float32Array>): Promise<void> {
  const forward = await m.forwardAt([]);
  const size = m.info.input.channels * m.info.input.height * m.info.input.width;
  const loadBatch = (start: number) => Promise.all(Array.from({ length: Math.min(count, start + BATCH) - start }, (_, j) => load(start + j)));
  let next: Promise<Float32Array[]> | null = loadBatch(0);
  for (let start = 0; next; start += BATCH) {
    const tensors: Float32Array[] = await next;
    next = start + BATCH < count ? loadBatch(start + BATCH) : null;
    const batch = new Float32Array(tensors.length * size);
    tensors.forEach((t, j) => batch.set(t, j * size));
    await forward(batch, tensors.length, [m.info.outputs[0].name]);
  }
}

export async function gatherBench(record: BenchRecord): Promise<void> {
  const root = defaultPaths().images;
  const files = readdirSync(root).sort().flatMap((c) => readdirSync(path.join(root, c)).sort().map((f) => path.join(root, c, f)));
  const host = nodeRuntimeHost();
  try {
    const m = await ModelSession.open(defaultPaths().model, host, chooseProvider('cpu'));
    const load = async (i: number) => preprocess(await decodeImage(files[i % files.length], { channels: m.info.input.channels }), m.info.preprocessing);
    const { tensors } = probePlan(m.info.layers, m.info.outputs.map((o) => o.name), m.info.name);
    // Warm both copies of the model, then alternate which goes first, keeping each one's best of three.
    await plainLoop(m, 64, load);
    await gatherFeatures(m, tensors, 64, load, { batchSize: BATCH });
    const plain: number[] = [];
    const probe: number[] = [];
    const timed = async (work: () => Promise<unknown>, into: number[]) => {
      const t0 = performance.now();
      await work();
      into.push(IMAGES / ((performance.now() - t0) / 1000));
    };
    for (let rep = 0; rep < 3; rep++) {
      const runPlain = () => timed(() => plainLoop(m, IMAGES, load), plain);
      const runProbe = () => timed(() => gatherFeatures(m, tensors, IMAGES, load, { batchSize: BATCH }), probe);
      if (rep % 2) await runProbe().then(runPlain);
      else await runPlain().then(runProbe);
    }
    const p = Math.max(...plain);
    const g = Math.max(...probe);
    record(`probe features, ${m.info.name} (${tensors.length} layers), ${IMAGES} images`, `${g.toFixed(0)} img/s`);
    record(`… plain forward loop of the untapped ${m.info.name}`, `${p.toFixed(0)} img/s`, `ratio ${(g / p).toFixed(2)}× (target ≥ 0.8×${g / p >= 0.8 ? '' : ', not met'})`);
    await m.close();
  } finally {
    await host.close();
  }
}

/** Synthetic ReLU-like features of 10 classes: F values per image, the class in a few of them. */
function synthetic(n: number, F: number, classes: number, k: number) {
  let s = 12345;
  const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const labels = Int32Array.from({ length: n }, (_, i) => i % classes);
  const seen = new Array<number>(classes).fill(0);
  const folds = Int32Array.from(labels, (c) => seen[c]++ % k);
  const features = new Float32Array(n * F);
  for (let r = 0; r < n; r++) for (let j = 0; j < F; j++) features[r * F + j] = Math.max(0, rnd() - 0.4 + (j % classes === labels[r] ? 0.3 : 0));
  return { features, n, F, labels, classes, folds, k, lambda: 1 };
}

export async function fitBench(record: BenchRecord, F: number, targetS: number, stopS: number): Promise<void> {
  const d = synthetic(10_000, F, 10, 5);
  const t0 = performance.now();
  try {
    await analysisProcessPool().run('probeFit', d, { signal: AbortSignal.timeout(stopS * 1000) });
    const s = (performance.now() - t0) / 1000;
    record(`probe fit, 5 folds, 10,000 images × ${F} features`, `${s.toFixed(1)} s`, `target ≤ ${targetS} s${s <= targetS ? '' : ', not met'}`);
  } catch (e) {
    if ((e as { code?: string }).code !== 'CANCELLED') throw e;
    record(`probe fit, 5 folds, 10,000 images × ${F} features`, `> ${stopS} s`, `target ≤ ${targetS} s, not met (stopped at ${stopS} s)`);
  }
}

export async function probeBench(record: BenchRecord): Promise<void> {
  await gatherBench(record);
  await fitBench(record, 512, 5, 120);
  await fitBench(record, 4096, 60, 300);
}

// Run alone: node --import tsx scripts/bench-probe.ts
if (import.meta.url === `file://${process.argv[1]}`) {
  await probeBench((name, value, target = '') => console.log(`${name.padEnd(52)} ${value.padStart(14)}  ${target}`));
}
