// The runtime process's costs (issue 11): moving tensors over its pipe, and opening a large model
// while the main thread stays responsive (parsing happens in the runtime process).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { GraphBuilder, analyzeGraph, loadModelFile } from '../src-main/core/onnx/index.ts';
import { nodeRuntimeHost } from '../src-main/core/runtime/launch-node.ts';
import { chooseProvider } from '../src-main/core/runtime/provider.ts';
import { ModelSession } from '../src-main/core/model/model-session.ts';

type Record = (name: string, value: string, target?: string) => void;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** N×3×224×224 → Relu: what crosses the pipe is the input and an output of the same size. */
function reluModel(): Uint8Array {
  const b = new GraphBuilder({ opset: 13 });
  b.output(b.relu(b.input('input', ['N', 3, 224, 224]), 'out'));
  return b.build();
}

/** A ZF-shaped front end with a 2500-wide fc layer on 25,088 features: 251 MB of weights, like the real exports. */
function fatModel(): Uint8Array {
  const b = new GraphBuilder({ opset: 13, seed: 7 });
  let h = b.input('input', ['N', 3, 224, 224]);
  h = b.conv(h, { outChannels: 8, kernel: 7, stride: 4, pad: 3, name: 'conv1' });
  h = b.relu(h, 'relu1');
  h = b.flatten(h, 1, 'flat');
  h = b.gemm(h, { out: 2500, name: 'fc6' });
  h = b.relu(h, 'relu6');
  b.output(b.gemm(h, { out: 10, name: 'logits' }));
  return b.build();
}

export async function runtimeBench(record: Record): Promise<void> {
  console.log('\nruntime process (onnxruntime off the main thread, in a child process)');
  const host = nodeRuntimeHost();
  const cpu = chooseProvider('cpu');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'convscope-bench-runtime-'));
  try {
    await host.load('relu', reluModel(), cpu);
    for (const n of [1, 16, 64]) {
      const data = new Float32Array(n * 3 * 224 * 224).map((_, i) => (i % 7) - 3);
      const mb = (2 * data.byteLength) / 1e6;
      await host.run('relu', { input: { dims: [n, 3, 224, 224], data } }, ['out']);
      const h = monitorEventLoopDelay({ resolution: 1 });
      h.enable();
      const ms: number[] = [];
      for (let r = 0; r < 7; r++) {
        const t0 = performance.now();
        await host.run('relu', { input: { dims: [n, 3, 224, 224], data } }, ['out']);
        ms.push(performance.now() - t0);
      }
      h.disable();
      record(`  Relu round trip, ${mb.toFixed(1)} MB in + out (batch ${n}×3×224×224)`, `${median(ms).toFixed(1)} ms`, `${(mb / (median(ms) / 1000) / 1000).toFixed(2)} GB/s, event loop max ${(h.max / 1e6).toFixed(1)} ms`);
    }

    const file = path.join(dir, 'fat.onnx');
    writeFileSync(file, fatModel());
    const size = (readFileSync(file).byteLength / 1e6).toFixed(0);
    const mainBefore = process.memoryUsage().rss / 2 ** 20;
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const t0 = performance.now();
    const m = await ModelSession.open(file, host, cpu);
    const openMs = performance.now() - t0;
    h.disable();
    record(`  open a ${size} MB model (parse, tap, load, zero pass)`, `${openMs.toFixed(0)} ms`, `event loop max ${(h.max / 1e6).toFixed(1)} ms (target < 20 ms)`);
    record('  … main-thread RSS growth / runtime process RSS', `${(process.memoryUsage().rss / 2 ** 20 - mainBefore).toFixed(0)} / ${rssMb(host.pid!).toFixed(0)} MB`);
    await m.close();
    // What the main thread used to do itself before issue 11: the stall the runtime process now absorbs.
    const t1 = performance.now();
    const { model } = await loadModelFile(file);
    analyzeGraph(model, file);
    record('  (parsing that model on the main thread instead would block it)', `${(performance.now() - t1).toFixed(0)} ms`);
  } finally {
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
