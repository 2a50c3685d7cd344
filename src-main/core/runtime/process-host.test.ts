// The runtime process as a user's app depends on it: a crash, an abort, a runaway allocation or a call
// that never ends inside onnxruntime ends only that process; the call in flight fails naming the
// model, and the next call works. Real onnxruntime-node in a real child process throughout.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder, zfTestModel } from '../onnx/index.ts';
import { nodeRuntimeHost } from './launch-node.ts';
import type { ChildProcessHost } from './process-host.ts';
import { chooseProvider } from './provider.ts';

const cpu = chooseProvider('cpu');
let dir: string;

/** x (2048×2048) through 16 MatMuls by one 2048×2048 matrix: seconds of work, little memory. */
function heavyModel(): Uint8Array {
  const b = new GraphBuilder({ opset: 13, seed: 1 });
  const x = b.input('x', [2048, 2048]);
  const w = b.initializer('w', [2048, 2048], new Float32Array(2048 * 2048).fill(1 / 2048));
  let h = x;
  for (let i = 0; i < 16; i++) [h] = b.node('MatMul', [h, w], {}, 1, { name: `mm${i}` });
  b.output(b.node('ReduceSum', [h], { keepdims: 0 }, 1, { name: 'sum' })[0]);
  return b.build();
}

/** Expands a scalar to `side`×`side` floats: memory on demand. */
function hogModel(side: number): Uint8Array {
  const b = new GraphBuilder({ opset: 13, seed: 1 });
  const x = b.input('x', [1, 1]);
  const shape = b.int64Initializer('shape', [2], [side, side]);
  const [big] = b.node('Expand', [x, shape], {}, 1, { name: 'expand' });
  const [sq] = b.node('Mul', [big, big], {}, 1, { name: 'square' });
  b.output(b.node('ReduceSum', [sq], { keepdims: 0 }, 1, { name: 'sum' })[0]);
  return b.build();
}

const small = zfTestModel({ inputSize: 64, channels: 1, classes: 4, seed: 2 });
const smallInput = { input: { dims: [1, 1, 64, 64], data: new Float32Array(64 * 64).map((_, i) => Math.sin(i)) } };
const heavyInput = { x: { dims: [2048, 2048], data: new Float32Array(2048 * 2048).fill(0.5) } };

function openHeavy(host: ChildProcessHost, key: string): Promise<unknown> {
  const file = path.join(dir, 'heavy.onnx');
  const st = statSync(file);
  return host.open(key, { file, rewrite: { kind: 'outputs', tensors: [] }, mtimeMs: st.mtimeMs, size: st.size }, cpu);
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'convscope-process-'));
  writeFileSync(path.join(dir, 'heavy.onnx'), heavyModel());
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the runtime process survives what onnxruntime does', () => {
  it.each(['SIGKILL', 'SIGABRT', 'SIGSEGV'] as const)('%s mid-inference: the call fails naming the model, the next calls work', async (signal) => {
    const host = nodeRuntimeHost();
    try {
      await host.load('small', small, cpu);
      const before = await host.run('small', smallInput, []);
      await openHeavy(host, 'heavy');
      const pid = host.pid!;
      const running = host.run('heavy', heavyInput, ['sum']);
      await new Promise((r) => setTimeout(r, 150));
      process.kill(pid, signal);
      const err = await running.then(() => null, (e: unknown) => e);
      expect(err, 'the run outlived the signal: make heavyModel heavier').not.toBeNull();
      expect(err).toMatchObject({ code: 'RUNTIME_FAILED', details: { reason: 'crash', model: 'heavy.onnx', signal } });
      expect((err as Error).message).toMatch(new RegExp(`^heavy\\.onnx: the inference process crashed \\(signal ${signal}\\)`));
      // A fresh process: this process is still here, and the models load again on their next call.
      const after = await host.run('small', smallInput, []);
      expect(host.pid).not.toBe(pid);
      for (const name of Object.keys(before)) expect(after[name].data).toEqual(before[name].data);
      if (signal !== 'SIGKILL') return;
      // The model opened from its file is read and loaded again too.
      const sum = await host.run('heavy', { x: { dims: [2048, 2048], data: new Float32Array(2048 * 2048).fill(1 / 64) } }, ['sum']);
      // Every MatMul by the all-1/2048 matrix keeps each entry at 1/64: the sum is 2048²/64.
      expect((sum.sum.data as Float32Array)[0]).toBeCloseTo((2048 * 2048) / 64, 0);
    } finally {
      await host.close();
    }
  }, 60_000);

  it('a call that outlasts the timeout stops the process; the next call works', async () => {
    const host = nodeRuntimeHost();
    try {
      await openHeavy(host, 'heavy');
      await host.load('small', small, cpu);
      host.timeoutMs = 300;
      const err = await host.run('heavy', heavyInput, ['sum']).then(() => null, (e: unknown) => e);
      expect(err, 'the run finished within the timeout: make heavyModel heavier').not.toBeNull();
      expect(err).toMatchObject({ code: 'RUNTIME_FAILED', details: { reason: 'timeout', model: 'heavy.onnx' } });
      expect((err as Error).message).toMatch(/^heavy\.onnx: running heavy\.onnx took longer than 0\.3 s, so the inference process was stopped/);
      host.timeoutMs = 60_000;
      const out = await host.run('small', smallInput, []);
      expect(Object.keys(out).length).toBeGreaterThan(0);
    } finally {
      await host.close();
    }
  }, 60_000);

  it('a process that goes over the memory limit is stopped; the next call works', async () => {
    const host = nodeRuntimeHost({ memoryLimitMb: 700, pollMs: 10 });
    try {
      await host.load('hog', hogModel(16384), cpu);
      await host.load('small', small, cpu);
      const err = await host.run('hog', { x: { dims: [1, 1], data: Float32Array.of(1) } }, ['sum']).then(() => null, (e: unknown) => e);
      expect(err, 'the 1 GB expansion finished under a 700 MB limit').not.toBeNull();
      expect(err).toMatchObject({ code: 'RUNTIME_FAILED', details: { reason: 'memory', model: 'hog' } });
      expect((err as Error).message).toMatch(/memory limit of 700 MB/);
      const out = await host.run('small', smallInput, []);
      expect(Object.keys(out).length).toBeGreaterThan(0);
    } finally {
      await host.close();
    }
  }, 60_000);

  it('a model that changed on disk is not loaded again under its old key after a crash', async () => {
    const host = nodeRuntimeHost();
    const file = path.join(dir, 'changing.onnx');
    writeFileSync(file, small);
    try {
      const st = statSync(file);
      await host.open('c', { file, rewrite: { kind: 'outputs', tensors: [] }, mtimeMs: st.mtimeMs, size: st.size }, cpu);
      await host.run('c', smallInput, []);
      process.kill(host.pid!, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 200));
      writeFileSync(file, zfTestModel({ inputSize: 64, channels: 1, classes: 5, seed: 3 }));
      await expect(host.run('c', smallInput, [])).rejects.toMatchObject({ code: 'MODEL_READ_FAILED', message: expect.stringMatching(/changing\.onnx changed on disk/) });
    } finally {
      await host.close();
    }
  }, 60_000);

  it('closing the host ends its process', async () => {
    const host = nodeRuntimeHost();
    await host.load('small', small, cpu);
    const pid = host.pid!;
    await host.close();
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive()).toBe(false);
  });
});
