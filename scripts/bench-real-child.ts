// One full-size model of bench-real.ts, measured in a process of its own so the memory figures are
// this model's: `node --import tsx scripts/bench-real-child.ts FILE LAYER OUT_DIR [--all-maps]`.
// Prints one JSON line (ChildFigures). Our projections of the strongest map of LAYER are written to
// OUT_DIR/<model>.<backend>.bin (C×H×W float32) for the PyTorch fidelity check.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelSession } from '../src-main/core/model/model-session.ts';
import { nodeRuntimeHost } from '../src-main/core/runtime/launch-node.ts';
import { chooseProvider } from '../src-main/core/runtime/provider.ts';
import { GraphBuilder } from '../src-main/core/onnx/builder.ts';
import { seededRandom } from '../src-main/core/onnx/seeded-random.ts';
import { toDisplay, type Projection } from '../src-main/core/deconv/index.ts';
import { encodePng } from '../src-main/core/images/index.ts';
import { defaultPaths } from '../src-main/core/model/resources.ts';

/** The seed of the input both sides draw (bench-real-models.py INPUT_SEED). */
export const INPUT_SEED = 224;
/** How long after the layer browser's maps the bench clicks one (a quick user). */
export const REACTION_MS = 250;
/** Projections per `project` call in the layer browser's "project all maps" (src-renderer/services/layers-service.ts BATCH_CHUNK). */
const BROWSER_CHUNK = 8;

export interface Timing {
  /** Median, ms. */
  ms: number;
  /** Fastest run, ms: what a quiet machine does (this one is shared). */
  best: number;
  runs: number;
}

export interface BackendFigures {
  /** The first projection of the layer: plans the reverse path (and, compiled, builds its ONNX session). */
  firstMs: number;
  /** A click: `project` with the forward pass kept. */
  cached: Timing;
  /** `project` of an image with no pass kept: the pass (with its switches) and the projection. */
  withForward: Timing;
  /** The first click, REACTION_MS after the layer browser's pass (which prepares what a click reads in the background). */
  firstClick?: Timing;
  /** Every map of the layer through the layer browser's path (ZF only). */
  allMaps?: { maps: number; ms: number; withPngMs: number };
  /** The projection's own wall time in the runtime process (Projection.ms), median: the click less the pipe. */
  projectorMs: number;
}

export interface ChildFigures {
  file: string;
  sizeBytes: number;
  layer: string;
  layerShape: number[];
  channel: number;
  position: [number, number];
  value: number;
  openMs: number;
  ortCreateMs: number;
  plainForward: Timing;
  tappedForward: Timing;
  memory: { mainMb: number; runtimeMb: number; mainPeakMb: number; runtimePeakMb: number };
  /** After closing the model and opening the demo model in the same processes, against a fresh runtime with the demo model. */
  switchBack: { mainMb: number; runtimeMb: number; mainBeforeMb: number; freshRuntimeMb: number };
  /** The backend the CPU default ('auto') chose for the layer, and its figures. */
  defaultBackend: 'engine' | 'compiled';
  default: BackendFigures;
  engine: BackendFigures;
  compiled: BackendFigures;
  /** Projections written for the fidelity check, by backend. */
  projections: Record<string, string>;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Median wall time of `fn` over at least 3 and at most `reps` runs after `warmup`, stopping once
 * `budgetMs` went by: the big models get fewer repetitions, so the whole bench stays short.
 */
export async function timed(fn: () => Promise<unknown>, warmup = 1, reps = 9, budgetMs = 4000): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const ms: number[] = [];
  const start = performance.now();
  while (ms.length < reps && (ms.length < 3 || performance.now() - start < budgetMs)) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return { ms: median(ms), best: Math.min(...ms), runs: ms.length };
}

/** VmRSS and VmHWM of a process, MB. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** N×3×8×8 → Relu: loaded once so the runtime process is up (as in the app) before the timed open. */
function tinyModel(): Uint8Array {
  const b = new GraphBuilder({ opset: 13 });
  b.output(b.relu(b.input('input', ['N', 3, 8, 8]), 'out'));
  return b.build();
}

/** Maps of `layer` in one sample, strongest first: [channel, maximum]. */
function strongestMaps(data: Float32Array, channels: number, hw: number): [number, number][] {
  const maxima: [number, number][] = [];
  for (let c = 0; c < channels; c++) {
    let best = -Infinity;
    for (let i = c * hw; i < (c + 1) * hw; i++) if (data[i] > best) best = data[i];
    maxima.push([c, best]);
  }
  return maxima.sort((a, b) => b[1] - a[1]);
}

async function main(): Promise<void> {
  const [file, layer, outDir, ...flags] = process.argv.slice(2);
  const allMaps = flags.includes('--all-maps');
  const name = path.basename(file, '.onnx');
  const host = nodeRuntimeHost();
  try {
    await host.load('warm-up', tinyModel(), chooseProvider('cpu'));
    await host.release('warm-up');
    const mainBefore = memoryOf(process.pid);

    // The CPU default first, as a user opens the model; CONVSCOPE_DECONV forces a backend as users set it (provider.ts).
    delete process.env.CONVSCOPE_DECONV;
    let t0 = performance.now();
    let m = await ModelSession.open(file, host, chooseProvider('cpu'));
    const openMs = performance.now() - t0;

    const info = m.info;
    const { channels, height, width } = info.input;
    const rnd = seededRandom(INPUT_SEED);
    const x = Float32Array.from({ length: channels * height * width }, () => rnd() * 2 - 1);
    const output = info.outputs[0].name;
    const l = info.layers.find((k) => k.id === layer);
    if (!l) throw new Error(`${name}: no layer "${layer}" (layers: ${info.layers.map((k) => k.id).join(', ')})`);
    const [, C, H, W] = l.shape;
    // The layer browser's pass: the layer's maps.
    const acts = (await m.keep('img', x, [layer]))[layer].data as Float32Array;
    const order = strongestMaps(acts, C, H * W);
    const channel = order[0][0];
    const request = { layer, channel, mode: 'single' as const };
    const project = (s: ModelSession, reqs = [request], id = 'img') => s.project(id, async () => x, reqs);

    // What a user has after opening the model and clicking ten maps: the memory figure.
    t0 = performance.now();
    const [first] = await project(m);
    const defaultFirstMs = performance.now() - t0;
    for (const [c] of order.slice(1, 10)) await project(m, [{ layer, channel: c, mode: 'single' }]);
    const main = memoryOf(process.pid);
    const runtime = memoryOf(host.pid!);
    const defaultBackend = first.backend ?? 'engine';

    // A bare onnxruntime session of the same file, for the open time's ratio (after the memory figure:
    // it lives in this process).
    t0 = performance.now();
    const bare = await ort.InferenceSession.create(file, { logSeverityLevel: 3, executionProviders: ['cpu'] });
    const ortCreateMs = performance.now() - t0;
    await bare.release();

    const writeProjection = (p: Projection, backend: string) => {
      const out = path.join(outDir, `${name}.${backend}.bin`);
      writeFileSync(out, new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength));
      return out;
    };
    const projections: Record<string, string> = {};

    let fresh = 0;
    const backend = async (s: ModelSession, firstMs: number, withAllMaps: boolean): Promise<BackendFigures> => {
      const inner: number[] = [];
      await s.keep('img', x, [layer]);
      const cached = await timed(async () => inner.push((await project(s))[0].ms), 1, 15, 3000);
      // No pass kept: the pass with its switches, then the projection (a click on an evicted image, a top-k tile).
      const withForward = await timed(() => project(s, [request], `fresh-${fresh++}`), 1, 9, 5000);
      // The layer browser's pass (the maps, and what a click reads in the background), then the first
      // click on it a user's reaction later.
      let k = 0;
      const firstClick: number[] = [];
      await timed(async () => {
        const id = `grid-${k++}`;
        await s.keep(id, x, [layer], 1, [layer], true);
        await new Promise((r) => setTimeout(r, REACTION_MS));
        const t = performance.now();
        await project(s, [request], id);
        firstClick.push(performance.now() - t);
      }, 1, 9, 5000);
      const figures: BackendFigures = {
        firstMs, cached, withForward, projectorMs: median(inner),
        firstClick: { ms: median(firstClick), best: Math.min(...firstClick), runs: firstClick.length },
      };
      if (withAllMaps) {
        // The layer browser's "project all maps": chunks of 8 maps per call, one after another, the pass kept.
        await s.keep('img', x, [layer]);
        let encodeMs = 0;
        const t = performance.now();
        for (let c = 0; c < C; c += BROWSER_CHUNK) {
          const reqs = Array.from({ length: Math.min(BROWSER_CHUNK, C - c) }, (_, k) => ({ layer, channel: c + k, mode: 'single' as const }));
          const done = await project(s, reqs);
          // The service encodes each as a PNG for the renderer (layer-calls.ts).
          const e0 = performance.now();
          await Promise.all(done.map((p) => encodePng({ width: p.dims[2], height: p.dims[1], channels: 3, data: toDisplay(p.data, p.dims) })));
          encodeMs += performance.now() - e0;
        }
        const total = performance.now() - t;
        figures.allMaps = { maps: C, ms: total - encodeMs, withPngMs: total };
      }
      return figures;
    };
    const dflt = await backend(m, defaultFirstMs, allMaps);

    const plainRun = await m.forwardAt([]);
    const plainForward = await timed(() => plainRun(x, 1, [output]), 2, 15, 4000);
    const tappedForward = await timed(() => m.keep('img', x, [output]), 2, 15, 4000);
    await m.close();

    // Each backend forced, for comparison (the default is one of them).
    const forced: Partial<Record<'engine' | 'compiled', BackendFigures>> = {};
    for (const which of ['engine', 'compiled'] as const) {
      process.env.CONVSCOPE_DECONV = which;
      m = await ModelSession.open(file, host, chooseProvider('cpu'));
      await m.keep('img', x, [layer]);
      t0 = performance.now();
      const [p] = await project(m);
      const firstMs = performance.now() - t0;
      projections[which] = writeProjection(p, which);
      forced[which] = await backend(m, firstMs, allMaps && which !== defaultBackend);
      if (which === defaultBackend) forced[which]!.allMaps = dflt.allMaps;
      await m.close();
    }
    delete process.env.CONVSCOPE_DECONV;

    // Switching back to the demo model: what the big model leaves behind.
    const demo = defaultPaths().model;
    await ModelSession.open(demo, host, chooseProvider('cpu'));
    await new Promise((r) => setTimeout(r, 500));
    const mainAfter = memoryOf(process.pid);
    const runtimeAfter = memoryOf(host.pid!);
    const freshHost = nodeRuntimeHost();
    let freshRuntimeMb = NaN;
    try {
      await freshHost.load('warm-up', tinyModel(), chooseProvider('cpu'));
      await freshHost.release('warm-up');
      await ModelSession.open(demo, freshHost, chooseProvider('cpu'));
      await new Promise((r) => setTimeout(r, 500));
      freshRuntimeMb = memoryOf(freshHost.pid!).rss;
    } finally {
      await freshHost.close();
    }

    const figures: ChildFigures = {
      file,
      sizeBytes: info.sizeBytes,
      layer,
      layerShape: l.shape,
      channel,
      position: first.position!,
      value: first.value,
      openMs,
      ortCreateMs,
      plainForward,
      tappedForward,
      memory: { mainMb: main.rss, runtimeMb: runtime.rss, mainPeakMb: main.peak, runtimePeakMb: runtime.peak },
      switchBack: { mainMb: mainAfter.rss, runtimeMb: runtimeAfter.rss, mainBeforeMb: mainBefore.rss, freshRuntimeMb },
      defaultBackend,
      default: dflt,
      engine: forced.engine!,
      compiled: forced.compiled!,
      projections,
    };
    console.log(JSON.stringify(figures));
  } finally {
    await host.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
