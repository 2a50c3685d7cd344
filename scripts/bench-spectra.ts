// `npm run bench` figures of the filter spectra (issue 5): computing a layer's spectra from its
// weights (the demo models' conv1 and an AlexNet-sized 96×3×11×11 layer), the main thread's
// event-loop delay while the app computes the latter, and a firing scan of the 300 shipped samples
// through zf-mini (images per second).
import path from 'node:path';
import { computeSpectra, resolveConvLayer, convFilters, scanFiring, spectraReport } from '../src-main/core/analysis/spectra/index.ts';
import { listImageFolder, decodeImage, preprocess } from '../src-main/core/images/index.ts';
import { seededRandom, analyzeGraph, loadModelFile, GraphBuilder } from '../src-main/core/onnx/index.ts';
import { nodeRuntimeHost } from '../src-main/core/runtime/launch-node.ts';
import { chooseProvider } from '../src-main/core/runtime/provider.ts';
import { defaultPaths, packageRoot } from '../src-main/core/model/resources.ts';
import { ModelSession } from '../src-main/core/model/model-session.ts';
import type { Record as BenchRecord } from './bench-record.ts';
import { idleLoopDelay, loopDelayDuring, loopTarget } from './bench-loop.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function time(fn: () => void, reps = 7): number {
  fn();
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

export async function spectraBench(record: BenchRecord): Promise<void> {
  for (const name of ['zf-mini', 'alex-mini']) {
    const file = path.join(packageRoot(), 'resources/models', name, `${name}.onnx`);
    const graph = analyzeGraph((await loadModelFile(file)).model, file);
    const conv = convFilters(graph, resolveConvLayer(graph, name), name);
    record(`spectra of ${name} conv1 (${conv.dims.join('×')})`, `${time(() => computeSpectra(conv)).toFixed(2)} ms`);
  }
  const rnd = seededRandom(1);
  const big = { weights: Float32Array.from({ length: 96 * 3 * 11 * 11 }, () => rnd() - 0.5), dims: [96, 3, 11, 11] as [number, number, number, number], stride: [4, 4] as [number, number] };
  record('spectra of a 96×3×11×11 layer (AlexNet conv1, N = 64)', `${time(() => computeSpectra(big), 3).toFixed(1)} ms`);
  await spectraLoopDelay(record, big.weights);

  const host = nodeRuntimeHost();
  try {
    const m = await ModelSession.open(defaultPaths().model, host, chooseProvider('cpu'));
    const ref = resolveConvLayer(m.graph, m.info.name);
    const listing = await listImageFolder(defaultPaths().images);
    const files = listing.entries.map((e) => path.join(listing.root, e.path));
    const { channels, height, width } = m.info.input;
    const t0 = performance.now();
    const scan = await scanFiring(files, async (f) => preprocess(await decodeImage(f, { channels }), m.info.preprocessing), (b, n, f) => m.forward(b, n, f), {
      layer: ref.activation, filters: ref.filters, inputSize: channels * height * width,
    });
    const s = (performance.now() - t0) / 1000;
    record(`firing scan of zf-mini ${ref.activation} (${scan.images} images)`, `${(scan.images / s).toFixed(0)} img/s`);
    await m.close();
  } finally {
    await host.close();
  }
}

/**
 * The app's own path (spectraReport, what the service and the CLI call) for a one-conv model holding
 * the same 96×3×11×11 weights: how long the main thread's event loop is held up meanwhile.
 */
async function spectraLoopDelay(record: BenchRecord, weights: Float32Array): Promise<void> {
  const b = new GraphBuilder();
  const conv = b.conv(b.input('input', ['N', 3, 224, 224]), { outChannels: 96, kernel: 11, stride: 4, weights, name: 'conv1' });
  b.output(b.relu(conv, 'relu1'));
  const graph = analyzeGraph(b.model(), 'alexnet-conv1.onnx');
  const model = { path: 'alexnet-conv1.onnx', name: 'alexnet-conv1' };
  // Warm, as the other figures are: the first call also starts the compute worker and compiles the kernel.
  for (let i = 0; i < 3; i++) await spectraReport(graph, model);
  const runs = 5;
  const d = await loopDelayDuring(async () => {
    for (let i = 0; i < runs; i++) await spectraReport(graph, model);
  });
  const idle = await idleLoopDelay(d.ms);
  record('spectraReport of that layer (as the app runs it)', `${(d.ms / runs).toFixed(1)} ms`);
  record('… event-loop delay of the main thread, max', `${d.max.toFixed(1)} ms`, loopTarget(d.max));
  record('… the same process idle as long, max', `${idle.max.toFixed(1)} ms`, '(the machine\'s own noise)');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await spectraBench((name, value, target = '') => console.log(`${name.padEnd(52)} ${value.padStart(14)}  ${target}`));
}
