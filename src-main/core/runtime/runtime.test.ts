// The runtime host over the real onnxruntime-node in a real child process.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zfTestModel } from '../onnx/index.ts';
import { nodeRuntimeHost } from './launch-node.ts';
import { chooseProvider, cudaProviderInstalled, nvidiaGpuPresent } from './provider.ts';

const host = nodeRuntimeHost();
const cpu = chooseProvider('cpu');
const bytes = zfTestModel({ inputSize: 224, channels: 3, classes: 10, seed: 5 });
const input = (n: number) => ({ dims: [n, 3, 224, 224], data: new Float32Array(n * 3 * 224 * 224).map((_, i) => Math.cos(i)) });

beforeAll(async () => {
  await host.load('zf', bytes, cpu);
});
afterAll(() => host.close());

describe('provider choice', () => {
  it('reports CPU with the reason when CUDA cannot be used', () => {
    expect(cpu).toMatchObject({ providers: ['cpu'], reason: 'CPU requested' });
    const auto = chooseProvider('auto');
    if (!cudaProviderInstalled()) {
      expect(auto.providers).toEqual(['cpu']);
      expect(auto.reason).toMatch(/setup:cuda/);
    } else if (!nvidiaGpuPresent()) {
      expect(auto.reason).toMatch(/no NVIDIA GPU/);
    } else {
      expect(auto.providers[0]).toBe('cuda');
    }
    expect(chooseProvider('cuda').reason).toMatch(/^CUDA requested but|CUDA provider and/);
  });
});

describe('the runtime process', () => {
  it('runs off the main thread: timers keep firing during a long inference', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const t0 = performance.now();
    const out = await host.run('zf', { input: input(16) }, ['logits']);
    const elapsed = performance.now() - t0;
    clearInterval(timer);
    expect(out.logits.dims).toEqual([16, 10]);
    // A run on this thread would block every timer until it returned.
    if (elapsed > 50) expect(ticks).toBeGreaterThan(1);
  });

  it.runIf(process.platform === 'linux')('starts with a fixed malloc mmap threshold and a collectable heap, so a closed model gives its memory back', async () => {
    await host.run('zf', { input: input(1) }, ['logits']);
    const environ = readFileSync(`/proc/${host.pid}/environ`, 'utf8').split('\0');
    expect(environ).toContain(`MALLOC_MMAP_THRESHOLD_=${process.env.MALLOC_MMAP_THRESHOLD_ ?? 1048576}`);
    expect(readFileSync(`/proc/${host.pid}/cmdline`, 'utf8').split('\0')).toContain('--expose-gc');
  });

  it.runIf(process.platform === 'linux')('runs from a bundle of its entry, or from the sources through tsx when asked; both answer alike', async () => {
    await host.run('zf', { input: input(1) }, ['logits']);
    expect(readFileSync(`/proc/${host.pid}/cmdline`, 'utf8')).toMatch(/node_modules\/\.cache\/convscope\/runtime-[0-9a-f]{16}\.mjs/);
    process.env.CONVSCOPE_RUNTIME_FROM_SOURCES = '1';
    const fromSources = nodeRuntimeHost();
    try {
      await fromSources.load('zf', bytes, cpu);
      expect(readFileSync(`/proc/${fromSources.pid}/cmdline`, 'utf8')).toContain('runtime-boot.mjs');
      const a = await fromSources.run('zf', { input: input(2) }, ['logits']);
      const b = await host.run('zf', { input: input(2) }, ['logits']);
      expect(a.logits.data).toEqual(b.logits.data);
    } finally {
      delete process.env.CONVSCOPE_RUNTIME_FROM_SOURCES;
      await fromSources.close();
    }
  });

  it('checks feeds against the model inputs (ORT would ignore an extra one)', async () => {
    await expect(host.run('zf', { input: input(1), extra: input(1) }, [])).rejects.toMatchObject({ code: 'INPUT_MISMATCH', message: expect.stringContaining('"extra"') });
    await expect(host.run('zf', { input: { dims: [1, 1, 224, 224], data: new Float32Array(224 * 224) } }, [])).rejects.toMatchObject({ code: 'INPUT_MISMATCH' });
    await expect(host.run('zf', { input: { dims: [1, 3, 224, 224], data: new Float32Array(5) } }, [])).rejects.toMatchObject({ code: 'INPUT_MISMATCH' });
  });

  it('recovers from a dead process by reloading its sessions', async () => {
    const before = await host.run('zf', { input: input(1) }, ['logits']);
    // A crash of the native runtime: the process goes away under us.
    const pid = host.pid!;
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    const after = await host.run('zf', { input: input(1) }, ['logits']);
    expect(Array.from(after.logits.data as Float32Array)).toEqual(Array.from(before.logits.data as Float32Array));
  });
});

describe('projection backends', () => {
  it('the compiled (GPU-path) projections equal the TypeScript engine, here under the CPU provider', async () => {
    const { ModelSession } = await import('../model/model-session.ts');
    const { defaultPaths } = await import('../model/resources.ts');
    const h = nodeRuntimeHost();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'convscope-compiled-'));
    try {
      const engine = await ModelSession.open(defaultPaths().model, h, { ...cpu, deconv: 'engine' });
      const copy = path.join(dir, 'zf-mini.onnx');
      copyFileSync(defaultPaths().model, copy);
      copyFileSync(defaultPaths().model.replace(/\.onnx$/, '.convscope.json'), copy.replace(/\.onnx$/, '.convscope.json'));
      copyFileSync(path.join(path.dirname(defaultPaths().model), 'labels.txt'), path.join(path.dirname(copy), 'labels.txt'));
      const compiled = await ModelSession.open(copy, h, { ...cpu, deconv: 'compiled' });
      // Each session says where its projections run.
      expect(engine.info.deconvBackend).toBe('engine');
      expect(compiled.info.deconvBackend).toBe('compiled');
      const x = new Float32Array(64 * 64).map((_, i) => Math.sin(i * 0.37));
      await engine.keep('x', x, []);
      await compiled.keep('x', x, []);
      const layers = engine.info.layers.filter((l) => l.kind === 'relu' && l.shape.length === 4);
      expect(layers.length).toBeGreaterThanOrEqual(4);
      for (const l of layers) {
        const reqs = [0, 1, 2].map((channel) => ({ layer: l.id, channel, mode: 'single' as 'single' | 'map' }));
        reqs.push({ layer: l.id, channel: 0, mode: 'map' as const });
        const a = await engine.project('x', async () => x, reqs);
        const b = await compiled.project('x', async () => x, reqs);
        a.forEach((p, k) => {
          expect(b[k].position).toEqual(p.position);
          expect(b[k].value).toBeCloseTo(p.value, 5);
          let dot = 0, na = 0, nb = 0;
          for (let i = 0; i < p.data.length; i++) {
            dot += p.data[i] * b[k].data[i];
            na += p.data[i] ** 2;
            nb += b[k].data[i] ** 2;
          }
          if (na > 0) expect(dot / Math.sqrt(na * nb)).toBeGreaterThanOrEqual(0.9999);
          else expect(nb).toBe(0);
        });
      }
    } finally {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
