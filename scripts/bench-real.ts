// `npm run bench`'s real-size rows (issue 13): four full-size convnets at 224×224×3 — ZF (the
// paper's Fig. 3 widths), and torchvision's AlexNet, VGG11 and ResNet18 — with seeded random
// weights, made at bench time in a temp dir and deleted afterwards. Where /usr/bin/python3 has torch
// they are exported by PyTorch (scripts/bench-real-models.py), so LRN arrives as PyTorch's subgraph
// as in users' files, and PyTorch's autograd reference is timed on the same weights; else they are
// built with GraphBuilder (bench-real-builder.ts) and the PyTorch rows are skipped.
//
// Each model is measured in a child process of its own (bench-real-child.ts), so its memory figures
// are its own; PyTorch runs after it, never beside it. Alone: `node --import tsx scripts/bench-real.ts`
// (add --builder to use the GraphBuilder models even where torch is installed, --only KEY for one model).
// MobileNetV2 (issue 15) is torchvision's own, so it runs only where torchvision is installed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Record as BenchRecord } from './bench-record.ts';
import { REACTION_MS, type BackendFigures, type ChildFigures } from './bench-real-child.ts';
import { builtModels } from './bench-real-builder.ts';

const PYTHON = '/usr/bin/python3';
const HERE = path.dirname(fileURLToPath(import.meta.url));

interface RealModel {
  key: keyof typeof builtModels;
  label: string;
  /** Which layer the projections start from, in words. */
  layerName: string;
  /** Targets: ours (forward cached) / PyTorch backward alone, and ours incl. forward / PyTorch incl. forward (none: the ratios are printed only). */
  clickTarget?: number;
  withForwardTarget?: number;
  /** Project every map of the layer through the layer browser's path. */
  allMaps?: boolean;
  /** Exported by torchvision itself: no GraphBuilder twin, measured only where torchvision is installed. */
  torchvision?: boolean;
}

const MODELS: RealModel[] = [
  { key: 'zf', label: 'ZF', layerName: 'relu after conv5', clickTarget: 0.2, withForwardTarget: 0.5, allMaps: true },
  { key: 'alexnet', label: 'AlexNet', layerName: 'relu after conv5', clickTarget: 0.2, withForwardTarget: 0.5 },
  { key: 'vgg11', label: 'VGG11', layerName: 'last conv\'s ReLU', clickTarget: 0.5, withForwardTarget: 1.0 },
  { key: 'resnet18', label: 'ResNet18', layerName: 'layer4\'s output ReLU', clickTarget: 1.0, withForwardTarget: 1.0 },
  // Issue 15: a modern convnet (ReLU6 as Clip), its single projection beside PyTorch's with the same rules.
  { key: 'mobilenet_v2', label: 'MobileNetV2', layerName: 'the middle block\'s expansion ReLU6 (features.9)', torchvision: true },
];

const OPEN_TARGET = 2;
const TAPPED_TARGET = 1.2;
const ALL_MAPS_TARGET_S = 3;
const MEMORY_TARGET = 2.5;
const SWITCH_BACK_TARGET = 1.2;
const COSINE_TARGET = 0.9999;

interface Exported {
  file: string;
  sizeBytes: number;
  layer: string;
  exportMs: number;
}

interface ReferenceTimes {
  plainForwardMs: number;
  projectionMs: number;
  forwardMs: number;
  backwardMs: number;
}

interface Reference extends ReferenceTimes {
  torch: string;
  threads: number;
  rounds: number;
  value: number;
  cosine: Record<string, number>;
  /** The fastest round of each (backward: the difference of the fastest). */
  best: ReferenceTimes;
}

/** Runs a command and parses the JSON line it ends its stdout with. */
function runJson<T>(command: string, args: string[], what: string): T {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 600_000, maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`${what} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}): ${r.stderr.trim().split('\n').slice(-5).join('\n')}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as T;
}

function torchAvailable(modules = 'torch, onnx'): boolean {
  return spawnSync(PYTHON, ['-c', `import ${modules}`], { encoding: 'utf8' }).status === 0;
}

const fmtMs = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0));
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

export interface Verdict {
  model: string;
  what: string;
  met: boolean;
}

interface CheckOptions {
  /** What the ratio is of: "× PyTorch's backward alone". */
  of?: string;
  /** The figure is absolute in this unit (shown in the value column already), not a ratio. */
  unit?: string;
  atLeast?: boolean;
}

/** "1.23× … (target ≤ 2×)", or for an absolute figure "target ≤ 3 s", with ": not met" when missed; records the verdict. */
function makeCheck(verdicts: Verdict[], model: string) {
  return (what: string, value: number, limit: number, o: CheckOptions = {}): string => {
    const met = o.atLeast ? value >= limit : value <= limit;
    verdicts.push({ model, what, met });
    const target = `target ${o.atLeast ? '≥' : '≤'} ${limit}${o.unit ?? '×'}`;
    return `${o.unit === undefined ? `${value.toFixed(2)}×${o.of ?? ''} (${target})` : target}${met ? '' : ': not met'}`;
  };
}

function report(record: BenchRecord, verdicts: Verdict[], m: RealModel, child: ChildFigures, ref: Reference | null, exportNote: string): void {
  const name = m.label;
  const verdict = makeCheck(verdicts, name);
  // Issue 13's targets are for its four models; another model shows the same figures, and only fidelity is held to a target.
  const targets = m.clickTarget !== undefined;
  const check: typeof verdict = (what, value, limit, o = {}) =>
    targets || what.startsWith('cosine') ? verdict(what, value, limit, o) : o.unit === undefined ? `${value.toFixed(2)}×${o.of ?? ''}` : '';
  const row = (what: string, value: string, target = '') => record(`${name}: ${what}`, value, target);
  const [, C, H, W] = child.layerShape;
  // The machine is shared: the ratio of the fastest runs beside the ratio of the medians.
  const bestOf = (ours: number, theirs: number) => (theirs > 0 ? `; best runs ${(ours / theirs).toFixed(2)}×` : '');

  row('file size', mb(child.sizeBytes), exportNote);
  row('open: ModelSession / bare ORT session', `${fmtMs(child.openMs)} / ${fmtMs(child.ortCreateMs)} ms`,
    check('open time', child.openMs / child.ortCreateMs, OPEN_TARGET));
  const { plainForward: plain, tappedForward: tapped } = child;
  row('forward, 1 image: plain / tapped (keep)', `${fmtMs(plain.ms)} / ${fmtMs(tapped.ms)} ms`,
    check('tapped / plain forward', tapped.ms / plain.ms, TAPPED_TARGET) + bestOf(tapped.best, plain.best));
  row(`projecting from ${m.layerName}`, `${C}×${H}×${W}`,
    `${child.layer}, strongest map ${child.channel} at (${child.position.join(', ')}), a = ${child.value.toPrecision(5)}`);

  // Targets are read from the CPU default (the faster backend for the layer); each backend forced is shown beside it.
  const backend = (label: string, b: BackendFigures, targets: boolean) => {
    const checkIf = (what: string, value: number, limit: number | undefined, o: CheckOptions = {}) =>
      targets && limit !== undefined ? check(what, value, limit, o) : `${value.toFixed(2)}×${o.of ?? ''}`;
    let click = '';
    if (ref && ref.backwardMs > 0) {
      click = checkIf(`${label} click / PyTorch backward`, b.cached.ms / ref.backwardMs, m.clickTarget, { of: ' PyTorch backward alone' }) + bestOf(b.cached.best, ref.best.backwardMs);
    } else if (ref) {
      click = 'PyTorch backward alone too small to measure';
    }
    row(`${label}: click (forward cached)`, `${fmtMs(b.cached.ms)} ms`, `${click}${click ? '; ' : ''}${fmtMs(b.projectorMs)} ms of it in the projector`);
    if (b.firstClick) row(`${label}: first click, ${REACTION_MS} ms after the layer's maps`, `${fmtMs(b.firstClick.ms)} ms`, '(the layer browser fetches what a click reads in the background)');
    row(`${label}: incl. forward pass`, `${fmtMs(b.withForward.ms)} ms`, ref
      ? checkIf(`${label} incl. forward / PyTorch incl. forward`, b.withForward.ms / ref.projectionMs, m.withForwardTarget, { of: ' PyTorch incl. forward' }) + bestOf(b.withForward.best, ref.best.projectionMs)
      : '');
    row(`${label}: first projection of the layer`, `${fmtMs(b.firstMs)} ms`, label.includes('compiled') ? '(plans and builds its ONNX graph)' : '(plans the reverse path)');
  };
  backend(`CPU default (${child.defaultBackend})`, child.default, true);
  backend('engine, forced', child.engine, false);
  backend('compiled, forced', child.compiled, false);

  if (ref) {
    const { best } = ref;
    row('PyTorch: projection / its forward / backward', `${fmtMs(ref.projectionMs)} / ${fmtMs(ref.forwardMs)} / ${fmtMs(ref.backwardMs)} ms`,
      `torch ${ref.torch}, ${ref.threads} threads, medians of ${ref.rounds} interleaved rounds; best ${fmtMs(best.projectionMs)} / ${fmtMs(best.forwardMs)} / ${fmtMs(best.backwardMs)} ms`);
    row('PyTorch plain forward (no_grad)', `${fmtMs(ref.plainForwardMs)} ms`, `best ${fmtMs(best.plainForwardMs)} ms`);
  }

  for (const [label, b] of [['engine', child.engine], ['compiled', child.compiled]] as const) {
    if (!b.allMaps) continue;
    const isDefault = label === child.defaultBackend;
    const seconds = `${(b.allMaps.ms / 1000).toFixed(2)} s`;
    row(`all ${b.allMaps.maps} maps (chunks of 8), ${label}${isDefault ? ' (the CPU default)' : ', forced'}`, seconds,
      (isDefault ? check(`all ${b.allMaps.maps} maps`, b.allMaps.ms / 1000, ALL_MAPS_TARGET_S, { unit: ' s' }) : 'for comparison') +
        `; ${(b.allMaps.withPngMs / 1000).toFixed(2)} s with the service's PNG encoding`);
  }

  const { mainMb, runtimeMb, mainPeakMb, runtimePeakMb } = child.memory;
  const total = (mainMb + runtimeMb) * 2 ** 20;
  row('RSS after open + 10 proj.: main + runtime', `${mainMb.toFixed(0)} + ${runtimeMb.toFixed(0)} MB`,
    `${check('memory / file size', total / child.sizeBytes, MEMORY_TARGET, { of: ' the file size' })}; peaks ${mainPeakMb.toFixed(0)} + ${runtimePeakMb.toFixed(0)} MB`);

  const sb = child.switchBack;
  row('RSS after switching back to the demo model: main + runtime', `${sb.mainMb.toFixed(0)} + ${sb.runtimeMb.toFixed(0)} MB`,
    `${check('memory after switching back / fresh', (sb.mainMb + sb.runtimeMb) / (sb.mainBeforeMb + sb.freshRuntimeMb), SWITCH_BACK_TARGET, { of: ' a fresh process with the demo model' })}; fresh: ${sb.mainBeforeMb.toFixed(0)} + ${sb.freshRuntimeMb.toFixed(0)} MB`);

  if (!ref) {
    const cos = cosine(readFileSync(child.projections.engine), readFileSync(child.projections.compiled));
    row('fidelity: cosine compiled vs engine', cos.toFixed(6), check('cosine compiled vs engine', cos, COSINE_TARGET, { unit: '', atLeast: true }));
  } else {
    const worst = Math.min(...Object.values(ref.cosine));
    const each = Object.entries(ref.cosine).map(([k, v]) => `${k} 1 − ${(1 - v).toExponential(1)}`).join(', ');
    row('fidelity: cosine vs PyTorch (worse backend)', worst.toFixed(6), `${check('cosine vs PyTorch', worst, COSINE_TARGET, { unit: '', atLeast: true })} (${each})`);
  }
}

/** Cosine of two files of float32 values. */
function cosine(a: Buffer, b: Buffer): number {
  // Copied: a Buffer's offset need not be a multiple of 4.
  const x = new Float32Array(Uint8Array.from(a).buffer);
  const y = new Float32Array(Uint8Array.from(b).buffer);
  let xy = 0, xx = 0, yy = 0;
  for (let i = 0; i < x.length; i++) {
    xy += x[i] * y[i];
    xx += x[i] * x[i];
    yy += y[i] * y[i];
  }
  return xy / Math.sqrt(xx * yy);
}

function clearModelFiles(dir: string): void {
  for (const f of readdirSync(dir)) rmSync(path.join(dir, f), { force: true, recursive: true });
}

export async function realBench(record: BenchRecord, options: { builder?: boolean; only?: string } = {}): Promise<void> {
  const withTorch = !options.builder && torchAvailable();
  const withTorchvision = withTorch && torchAvailable('torchvision');
  const t0 = performance.now();
  console.log(`\nreal-size models, 224×224×3, seeded random weights (${withTorch
    ? 'exported by PyTorch with opset 13, dynamic batch'
    : `built with GraphBuilder; PyTorch rows skipped: ${options.builder ? '--builder given' : `${PYTHON} has no torch`}`
  }); load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'convscope-bench-real-'));
  const verdicts: Verdict[] = [];
  try {
    for (const m of MODELS) {
      if (options.only && m.key !== options.only) continue;
      if (m.torchvision && !withTorchvision) {
        console.log(`(${m.label} not measured: it is exported by torchvision, and ${withTorch ? `${PYTHON} has no torchvision` : 'PyTorch is not used'})`);
        continue;
      }
      try {
        let made: Exported;
        if (withTorch) {
          made = runJson<Exported>(PYTHON, [path.join(HERE, 'bench-real-models.py'), 'export', m.key, dir], `exporting ${m.label}`);
        } else {
          const e0 = performance.now();
          const { bytes, layer } = builtModels[m.key]();
          const file = path.join(dir, `${m.key}.onnx`);
          writeFileSync(file, bytes);
          made = { file, sizeBytes: bytes.byteLength, layer, exportMs: performance.now() - e0 };
        }
        const exportNote = `${withTorch ? 'torch.onnx.export' : 'GraphBuilder'} ${(made.exportMs / 1000).toFixed(1)} s`;
        const child = runJson<ChildFigures>(process.execPath, [
          '--import', 'tsx', path.join(HERE, 'bench-real-child.ts'), made.file, made.layer, dir, ...(m.allMaps ? ['--all-maps'] : []),
        ], `measuring ${m.label}`);
        const ref = withTorch
          ? runJson<Reference>(PYTHON, [
            path.join(HERE, 'bench-real-models.py'), 'reference', m.key, dir, '--channel', String(child.channel),
            '--position', ...child.position.map(String), ...Object.entries(child.projections).flatMap(([k, f]) => ['--ours', `${k}=${f}`]),
          ], `PyTorch reference of ${m.label}`)
          : null;
        report(record, verdicts, m, child, ref, exportNote);
      } catch (e) {
        record(`${m.label}: not measured`, 'failed', (e as Error).message);
        verdicts.push({ model: m.label, what: 'measured', met: false });
      } finally {
        clearModelFiles(dir);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const missed = verdicts.filter((v) => !v.met);
  record('real-size targets met', `${verdicts.length - missed.length} of ${verdicts.length}`,
    `${((performance.now() - t0) / 1000).toFixed(0)} s; load average now ${os.loadavg()[0].toFixed(1)}`);
  if (missed.length) console.log(`not met: ${missed.map((v) => `${v.model} ${v.what}`).join('; ')}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await realBench((name, value, target = '') => console.log(`${name.padEnd(52)} ${value.padStart(14)}  ${target}`), {
    builder: process.argv.includes('--builder'),
    only: process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined,
  });
}
