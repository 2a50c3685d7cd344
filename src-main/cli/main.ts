// `convscope` command line: the core's capabilities as JSON on stdout, errors on stderr.
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { AppError, toErrorInfo } from '../common/errors.ts';
import { toDisplay } from '../core/deconv/index.ts';
import { encodePng, matchClassToLabel, writeNpy } from '../core/images/index.ts';
import { topK } from '../core/model/scores.ts';
import { parse, required, UsageError } from './args.ts';
import { common, print, withModel, type Command, type CommandGroup } from './common.ts';
import type { OpenOptions } from '../core/model/model-session.ts';
import { benchGroup } from './bench.ts';
import { correspondenceGroup } from './correspondence.ts';
import { evolutionGroup } from './evolution.ts';
import { invarianceGroup } from './invariance.ts';
import { occlusionGroup } from './occlusion.ts';
import { spectraGroup } from './spectra.ts';
import { topkGroup } from './topk.ts';
import { probeGroup } from './probe.ts';
import { workerGroup } from './worker.ts';
import { reportGroup } from './report.ts';
import { readModelInput } from './input.ts';

const BASE_HELP = `convscope — debug convolutional networks (ONNX)

Usage:
  convscope info    --model M [--json] [--provider auto|cpu|cuda]
  convscope predict --model M (--image I | --tensor T.npy) [--top K] [--json] [--provider …]
  convscope project --model M (--image I | --tensor T.npy) --layer L --channel C
                    [--mode single|map] [--position y,x] --out P.npy [--png P.png] [--json]

  info      model summary: input, outputs, execution provider (and why), layers with
            op, output shape, parameters and receptive field; the preprocessing in use.
  predict   class probabilities for one image (preprocessed per the model's sidecar
            <model>.convscope.json) or for a preprocessed float32 .npy tensor
            (1×C×H×W or C×H×W; 1×H×W×C or H×W×C for a channels-last Keras/tf2onnx
            model), exactly what your own pipeline feeds the model.
  project   deconvnet projection (Zeiler & Fergus) of one activation (single: default the
            argmax of map C, or --position) or a whole map (map) of layer L back to input
            pixels; writes the raw float32 C×H×W projection as .npy (and --png its display).
            --layer takes a tensor name from \`info\`.

Options:
  --json        print JSON on stdout (default for both commands is a readable summary)
  --provider    execution provider: auto (CUDA when available, else CPU), cpu, cuda
  -h, --help    this text

Exit codes: 0 ok, 1 the command failed (message on stderr), 2 usage error (an option missing or
out of range, also for the model at hand), 3 a --fail-on condition of spectra or report holds, 130 / 143
interrupted by Ctrl-C / SIGTERM (a scan keeps what it did).`;

const BACKENDS = {
  engine: 'TypeScript engine',
  compiled: 'compiled to ONNX (onnxruntime)',
  auto: 'by layer: the TypeScript engine, or compiled to ONNX where the reverse path is large',
} as const;

async function info(argv: string[]): Promise<void> {
  const values = parse(argv, common);
  if (values.help) return void console.log(HELP);
  await withModel(values, async (m) => {
    const i = m.info;
    print(Boolean(values.json), i, () =>
      [
        `${i.name}  (${(i.sizeBytes / 1e6).toFixed(2)} MB, opset ${i.opset}, ${i.producer || 'unknown producer'})`,
        `provider: ${i.provider} — ${i.providerReason}`,
        `projections: ${BACKENDS[i.deconvBackend]} (CONVSCOPE_DECONV=engine|compiled chooses)`,
        `input: ${i.input.name} [${i.input.dims.join('×')}]${i.input.layout === 'NHWC' ? ' (NHWC: --tensor takes H×W×C; projections are C×H×W)' : ''}, ${i.numClasses} classes`,
        `preprocessing: ${JSON.stringify(i.preprocessing)} (${i.preprocessingAssumed ? `assumed defaults: no ${path.basename(i.sidecarPath)} yet` : i.sidecarPath})`,
        ...i.preprocessingHints.map((h) => `  check: ${h}`),
        'layers:',
        ...i.layers.flatMap((l) => {
          const rf = l.receptiveField ? `rf ${l.receptiveField.size.join('×')} /${l.receptiveField.stride.join('×')}` : '';
          const line = `  ${l.id.padEnd(28)} ${l.op.padEnd(12)} [${l.shape.join('×')}]`.padEnd(64) + ` ${String(l.params).padStart(8)}  ${rf}`;
          return l.reverse ? [line, `      ${l.reverse.description}`] : [line];
        }),
      ].join('\n'),
    );
  });
}

/** The copy a command loads when it reads only the model's outputs: no layer tapped. */
const onlyOutputs: OpenOptions['rewrite'] = () => ({ kind: 'outputs', tensors: [] });

async function predict(argv: string[]): Promise<void> {
  const values = parse(argv, { ...common, image: { type: 'string' }, tensor: { type: 'string' }, top: { type: 'string' } });
  if (values.help) return void console.log(HELP);
  const k = values.top === undefined ? 5 : Number(values.top);
  if (!Number.isInteger(k) || k < 1) throw new UsageError(`--top must be a positive integer, got "${values.top}"`);
  await withModel(values, async (m) => {
    const input = await readModelInput(m, values.image as string | undefined, values.tensor as string | undefined);
    const t0 = performance.now();
    const { probabilities, logits } = await m.classify(input.tensor);
    const ms = performance.now() - t0;
    const top = topK(probabilities, Math.min(k, probabilities.length), (i) => m.label(i));
    let trueClass: string | null = null;
    let trueIndex: number | null = null;
    if ('image' in input.source) {
      trueClass = path.basename(path.dirname(input.source.image));
      trueIndex = matchClassToLabel(trueClass, m.info.labels);
      if (trueIndex === null) trueClass = null;
    }
    const result = { model: m.info.path, ...input.source, provider: m.info.provider, top, trueClass, trueIndex, logits: Array.from(logits), ms };
    print(Boolean(values.json), result, () =>
      top.map((t, r) => `${r + 1}. ${t.label.padEnd(20)} ${(t.probability * 100).toFixed(2)}%`).join('\n'),
    );
  }, onlyOutputs);
}

function parsePosition(text: string | undefined): [number, number] | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+),(\d+)$/.exec(text.trim());
  if (!m) throw new UsageError(`--position takes y,x (two non-negative integers), got "${text}"`);
  return [Number(m[1]), Number(m[2])];
}

async function project(argv: string[]): Promise<void> {
  const values = parse(argv, {
    ...common, image: { type: 'string' }, tensor: { type: 'string' }, layer: { type: 'string' }, channel: { type: 'string' },
    mode: { type: 'string' }, position: { type: 'string' }, out: { type: 'string' }, png: { type: 'string' },
  });
  if (values.help) return void console.log(HELP);
  const layer = required(values, 'layer');
  const channel = Number(required(values, 'channel'));
  if (!Number.isInteger(channel) || channel < 0) throw new UsageError(`--channel must be a non-negative integer, got "${values.channel}"`);
  const mode = (values.mode as string | undefined) ?? 'single';
  if (mode !== 'single' && mode !== 'map') throw new UsageError(`--mode must be single or map, got "${mode}"`);
  const position = parsePosition(values.position as string | undefined);
  if (position && mode === 'map') throw new UsageError('--position applies to --mode single only');
  const out = path.resolve(required(values, 'out'));
  await withModel(values, async (m) => {
    if (!m.info.layers.some((l) => l.id === layer)) {
      throw new AppError('NOT_FOUND', `${m.info.name} has no layer "${layer}"; \`convscope info\` lists them`);
    }
    const input = await readModelInput(m, values.image as string | undefined, values.tensor as string | undefined);
    // Planning the reverse path belongs to loading the model, not to the projection's time.
    await m.prepare(layer);
    const t0 = performance.now();
    await m.keep('cli', input.tensor, [m.info.outputs[0].name]);
    const [p] = await m.project('cli', async () => input.tensor, [{ layer, channel, mode, position }]);
    const ms = performance.now() - t0;
    await writeFile(out, writeNpy(p.dims, p.data));
    if (typeof values.png === 'string') {
      const png = await encodePng({ width: p.dims[2], height: p.dims[1], channels: p.dims[0] === 1 ? 1 : 3, data: toDisplay(p.data, p.dims) });
      await writeFile(path.resolve(values.png), png);
    }
    const result = { layer, channel, mode, position: p.position, value: p.value, shape: p.dims, skipped: p.skipped, backend: p.backend, out, ms };
    print(Boolean(values.json), result, () =>
      `${layer} channel ${channel} (${mode}${p.position ? ` at ${p.position.join(',')}` : ''}, value ${p.value.toFixed(4)}) → ${out} [${p.dims.join('×')}] in ${ms.toFixed(1)} ms` +
      (p.skipped.length ? `\nskipped: ${p.skipped.join(', ')}` : ''),
    );
  });
}

const groups: CommandGroup[] = [spectraGroup, invarianceGroup, topkGroup, workerGroup, occlusionGroup, correspondenceGroup, probeGroup, evolutionGroup, reportGroup, benchGroup];
const HELP = [BASE_HELP, ...groups.map((g) => g.usage).filter(Boolean)].join('\n\n');
const commands: Record<string, Command> = { info, predict, project, ...Object.assign({}, ...groups.map((g) => g.commands)) };

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(HELP);
    return 0;
  }
  const run = commands[cmd];
  try {
    if (!run) throw new UsageError(`unknown command "${cmd}"`);
    return (await run(rest)) ?? 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`convscope: ${e.message}\nRun "convscope --help" for usage.\n`);
      return 2;
    }
    const info = toErrorInfo(e);
    process.stderr.write(`convscope: ${info.message}\n`);
    // CONVSCOPE_DEBUG=1: where it came from, for a bug report.
    if (process.env.CONVSCOPE_DEBUG && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    // An argument out of range for this model is a usage error, as it is for any model.
    if (info.code === 'INVALID_ARGUMENT') {
      process.stderr.write('Run "convscope --help" for usage.\n');
      return 2;
    }
    return 1;
  }
}
