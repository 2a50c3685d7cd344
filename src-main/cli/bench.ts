// `convscope bench`: how fast the app is on the user's own model — open, forward, projections — and
// how much memory it takes, as one JSON a bug report can carry.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { AppError } from '../common/errors.ts';
import { activationLayerId, mapDims, noMapsMessage } from '../common/layers.ts';
import { quoted } from '../common/text.ts';
import { median } from '../core/analysis/spectra/index.ts';
import { preprocess } from '../core/images/index.ts';
import type { ModelSession } from '../core/model/model-session.ts';
import { seededRandom } from '../core/onnx/index.ts';
import { intOption, parse, UsageError } from './args.ts';
import { common, print, withModel, type CommandGroup } from './common.ts';
import { readModelInput, type ModelInput } from './input.ts';

/** Warm-up runs before each timed series (sessions, plans and caches settle). */
const WARMUP = 2;
/** Timed runs per median by default, fewer when the model is slow (see MEDIANS_MS). */
const REPEAT = 30;
/** At least this many timed runs per median, whatever the budget. */
const MIN_RUNS = 3;
/**
 * Default time for all medians together, and for all "every map" passes together: with opening the
 * model, a ZF-sized one (96…384 maps per layer at 224×224) is done in about 30 s on two cores.
 */
const MEDIANS_MS = 8_000;
const ALL_MAPS_MS = 12_000;
/** Requests per `project` call when projecting every map of a layer. */
const BATCH = 32;

const USAGE = `Benchmark:
  convscope bench     --model M [--layer L …] [--image I | --tensor T.npy] [--repeat N] [--json]
                      [--provider …]

  bench     times the model as the app runs it (every layer and switch tapped): opening it, a
            plain forward pass (untapped copy) and the tapped one, and per layer L (repeatable;
            default every conv layer's ReLU) one projection of the strongest map's argmax with
            the forward pass kept (a click in the layer browser) and including it, and projections
            per second when every map of L is projected (${BATCH} per call). Also the deconv backend
            (engine or compiled; CONVSCOPE_DECONV) and the resident memory of this process plus
            its runtime process. Input: --image (preprocessed per the sidecar), --tensor, or a
            seeded random image. Times are medians after ${WARMUP} warm-up runs. By default a time
            budget keeps a big model to about 30 s: up to ${REPEAT} runs per median (at least ${MIN_RUNS}), and
            the maps of a layer are projected in a seeded random order until its share of the
            budget is spent (JSON: maps projected of mapsTotal). --repeat N: exactly N runs per
            median and every map, however long it takes. Bug reports can carry its --json.`;

/** One layer's row of the JSON. */
export interface LayerBench {
  layer: string;
  /** Median round trip of one projection (the strongest map's argmax), the forward pass kept. */
  projectMs: number;
  /** The same including the (tapped) forward pass. */
  projectWithForwardMs: number;
  /** Projections per second over the maps projected in chunks of BATCH. */
  mapsPerSecond: number;
  /** Projections made (one per map); fewer than mapsTotal when the time budget cut the pass. */
  maps: number;
  mapsTotal: number;
  /** What computed this layer's projections (under 'auto' on CPU, chosen by the layer's size). */
  backend: 'engine' | 'compiled';
}

interface Series {
  /** Timed runs at most. */
  runs: number;
  /** Stop after MIN_RUNS once this much time went into the timed runs; null: run them all. */
  budgetMs: number | null;
}

/** Median wall time (ms) of `run` after the warm-up. */
async function timeMedian(series: Series, run: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < WARMUP; i++) await run();
  const ms: number[] = [];
  const start = performance.now();
  while (ms.length < series.runs) {
    const t0 = performance.now();
    await run();
    ms.push(performance.now() - t0);
    if (series.budgetMs !== null && ms.length >= MIN_RUNS && performance.now() - start > series.budgetMs) break;
  }
  return median(ms);
}

/** 0…n−1 in a seeded random order (Fisher–Yates driven by mulberry32), so a budget-cut pass is a fair sample. */
function shuffled(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  const rnd = seededRandom(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** A seeded random 8-bit image of the input size, preprocessed per the sidecar: in the model's input range. */
function seededInput(m: ModelSession): Float32Array {
  const { channels, height, width } = m.info.input;
  const rnd = seededRandom(0);
  const data = Uint8Array.from({ length: height * width * channels }, () => Math.floor(rnd() * 256));
  return preprocess({ width, height, channels, data }, m.info.preprocessing);
}

/** The ids to project from, checked against the model: a map layout each, with its map count. */
function benchLayers(m: ModelSession, asked: string[] | undefined): { layer: string; maps: number }[] {
  const all = m.info.layers;
  const ids = asked?.length ? [...new Set(asked)] : [...new Set(all.filter((l) => l.kind === 'conv').map((l) => activationLayerId(all, l.id)))];
  if (ids.length === 0) throw new AppError('NOT_FOUND', `${m.info.name} has no conv layer; name layers with --layer (\`convscope info\` lists them)`);
  return ids.map((id) => {
    const info = all.find((l) => l.id === id);
    if (!info) throw new AppError('NOT_FOUND', `${m.info.name} has no layer ${quoted(id)}; \`convscope info\` lists them`, { layer: id });
    const dims = mapDims(info.shape);
    if (!dims) throw new AppError('MODEL_UNSUPPORTED', noMapsMessage(id, info.shape), { layer: id });
    return { layer: id, maps: dims[0] };
  });
}

/** The channel whose map holds the layer's largest activation (the first, on ties). */
function strongestMap(data: Float32Array, maps: number): number {
  const per = data.length / maps;
  let best = 0;
  let bestValue = -Infinity;
  for (let c = 0; c < maps; c++) {
    for (let i = c * per; i < (c + 1) * per; i++) {
      if (data[i] > bestValue) {
        bestValue = data[i];
        best = c;
      }
    }
  }
  return best;
}

/** Resident set size in MB from /proc (Linux), else null. */
async function residentMb(pid: number | undefined): Promise<number | null> {
  if (process.platform !== 'linux' || pid === undefined) return null;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null);
  const kb = status && /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return kb ? Number(kb[1]) / 1024 : null;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
const roundMb = (mb: number) => Math.round(mb * 10) / 10;

/** Progress on a terminal's stderr. */
function progress(text: string | null): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text ?? ''}`);
}

async function bench(argv: string[]): Promise<void> {
  const values = parse(argv, {
    ...common, image: { type: 'string' }, tensor: { type: 'string' }, layer: { type: 'string', multiple: true }, repeat: { type: 'string' },
  });
  if (values.help) return void console.log(USAGE);
  const repeat = intOption(values, 'repeat', 1);
  const image = values.image as string | undefined;
  const tensor = values.tensor as string | undefined;
  const asked = values.layer as unknown as string[] | undefined;
  if (image !== undefined && tensor !== undefined) throw new UsageError('give exactly one of --image or --tensor, or neither for a seeded random input');
  await withModel(values, async (m, { host, openMs }) => {
    const layers = benchLayers(m, asked);
    const input: ModelInput | null = image === undefined && tensor === undefined ? null : await readModelInput(m, image, tensor);
    const x = input?.tensor ?? seededInput(m);
    const again = async () => x;
    const output = m.info.outputs[0].name;
    // The default budgets are shared: by every median (the two forward passes and two per layer), by every layer's maps.
    const series: Series = { runs: repeat ?? REPEAT, budgetMs: repeat === undefined ? MEDIANS_MS / (2 + 2 * layers.length) : null };
    const allMapsMs = repeat === undefined ? ALL_MAPS_MS / layers.length : null;

    const rows: LayerBench[] = [];
    let forwardMs: number;
    let tappedForwardMs: number;
    try {
      progress('forward passes');
      const plain = await m.forwardAt([]);
      forwardMs = await timeMedian(series, () => plain(x, 1, [output]));
      tappedForwardMs = await timeMedian(series, () => m.keep('bench', x, [output]));

      for (const [i, { layer, maps }] of layers.entries()) {
        progress(`${layer} (${i + 1}/${layers.length})`);
        // Planning the reverse path belongs to opening the layer, not to a projection's time.
        await m.prepare(layer);
        const acts = await m.keep('bench', x, [layer]);
        const channel = strongestMap(acts[layer].data as Float32Array, maps);
        const one = [{ layer, channel, mode: 'single' as const }];
        const [first] = await m.project('bench', again, one);
        const projectMs = await timeMedian(series, () => m.project('bench', again, one));
        const projectWithForwardMs = await timeMedian(series, async () => {
          await m.keep('bench', x, [output]);
          await m.project('bench', again, one);
        });
        // Every map of the layer once, in chunks, as "project all maps" does; the pass above is kept.
        const order = shuffled(maps, 0);
        let projected = 0;
        const t0 = performance.now();
        while (projected < maps && (allMapsMs === null || projected === 0 || performance.now() - t0 < allMapsMs)) {
          const requests = order.slice(projected, projected + BATCH).map((channel) => ({ layer, channel, mode: 'single' as const }));
          projected += (await m.project('bench', again, requests)).length;
        }
        const allMs = performance.now() - t0;
        rows.push({
          layer, projectMs: round(projectMs), projectWithForwardMs: round(projectWithForwardMs), mapsPerSecond: round((projected / allMs) * 1000), maps: projected, mapsTotal: maps,
          backend: first.backend,
        });
      }
    } finally {
      progress(null);
    }

    const [mainMb, runtimeMb] = await Promise.all([residentMb(process.pid), residentMb(host.pid)]);
    const ownMb = roundMb(process.memoryUsage.rss() / 2 ** 20);
    const rss = mainMb === null || runtimeMb === null
      ? { rssMB: ownMb, rssMainMB: ownMb, rssRuntimeMB: null, rssNote: `this process only: the runtime process's memory is not read on ${process.platform}` }
      : { rssMB: roundMb(mainMb + runtimeMb), rssMainMB: roundMb(mainMb), rssRuntimeMB: roundMb(runtimeMb) };
    const result = {
      model: m.info.path,
      input: input === null ? 'seeded random' : 'image' in input.source ? 'image' : 'tensor',
      ...input?.source,
      provider: m.info.provider,
      providerReason: m.info.providerReason,
      backend: m.info.deconvBackend,
      openMs: round(openMs),
      forwardMs: round(forwardMs),
      tappedForwardMs: round(tappedForwardMs),
      ...rss,
      runs: { warmup: WARMUP, repeat: series.runs, medianBudgetMs: series.budgetMs === null ? null : round(series.budgetMs), allMapsBudgetMs: allMapsMs === null ? null : round(allMapsMs), batch: BATCH },
      layers: rows,
      system: { platform: process.platform, arch: process.arch, cpu: os.cpus()[0]?.model ?? null, cores: os.cpus().length, node: process.version },
    };
    print(Boolean(values.json), result, () => {
      const width = Math.max(5, ...rows.map((r) => r.layer.length));
      const memory = rss.rssRuntimeMB === null ? `${rss.rssMB.toFixed(0)} MB (${rss.rssNote})` : `${rss.rssMB.toFixed(0)} MB (this process ${rss.rssMainMB.toFixed(0)} + runtime ${rss.rssRuntimeMB.toFixed(0)})`;
      return [
        `${m.info.name} on ${result.provider}, deconv ${result.backend}; input: ${'image' in result ? result.image : 'tensor' in result ? result.tensor : result.input}`,
        `open ${openMs.toFixed(0)} ms   forward ${forwardMs.toFixed(2)} ms   tapped forward ${tappedForwardMs.toFixed(2)} ms   memory ${memory}`,
        '',
        `${'layer'.padEnd(width)}  ${'maps'.padStart(9)}  ${'project ms'.padStart(10)}  ${'+ forward ms'.padStart(12)}  ${'maps/s'.padStart(8)}`,
        ...rows.map((r) => `${r.layer.padEnd(width)}  ${(r.maps < r.mapsTotal ? `${r.maps}/${r.mapsTotal}` : String(r.maps)).padStart(9)}  ${r.projectMs.toFixed(2).padStart(10)}  ${r.projectWithForwardMs.toFixed(2).padStart(12)}  ${r.mapsPerSecond.toFixed(0).padStart(8)}`),
        '',
        `(medians of ${repeat === undefined ? `up to ${REPEAT}` : repeat} runs after ${WARMUP} warm-ups; maps/s over the maps projected${rows.some((r) => r.maps < r.mapsTotal) ? ', n/N where the time budget cut the pass' : ''})`,
      ].join('\n');
    });
  });
}

export const benchGroup: CommandGroup = { usage: USAGE, commands: { bench } };
