// The compute pool with child processes (isolation 'process'), as analysisProcessPool runs the probe
// fit: real processes booted from sources, the runtime process's memory check (process-host.ts).
// A process that aborts, is killed, outgrows its limit or whose task is cancelled fails that task
// only, with a message naming what happened; the next task gets a fresh process.
import { afterEach, describe, expect, it } from 'vitest';
import { ComputePool } from '../jobs/compute-pool.ts';
import type { TestTasks } from '../jobs/testing-worker.ts';
import { runtimeEnv } from '../runtime/process-env.ts';
import { residentMb } from '../runtime/process-host.ts';

const entry = new URL('../jobs/testing-worker.ts', import.meta.url);
const pools: ComputePool<TestTasks>[] = [];
const newPool = (memoryLimitMb?: number) => {
  const p = new ComputePool<TestTasks>({ entry, size: 1, isolation: 'process', process: { env: runtimeEnv(), memoryLimitMb, residentMb, pollMs: 50, memoryVariable: 'CONVSCOPE_RUNTIME_MEMORY_MB' } });
  pools.push(p);
  return p;
};
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const gone = async (pid: number) => {
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  return !alive(pid);
};

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe('ComputePool with processes', () => {
  it('runs tasks in a child process, typed arrays copied both ways, errors as thrown', async () => {
    const pool = newPool();
    const values = Float32Array.from([1, 2, 3.5]);
    const r = await pool.run('sum', { values });
    expect(r.sum).toBe(6.5);
    expect(r.doubled).toBeInstanceOf(Float32Array);
    expect(Array.from(r.doubled)).toEqual([2, 4, 7]);
    const [{ pid }] = pool.running;
    expect(pid).toBeGreaterThan(0);
    expect(pid).not.toBe(process.pid);
    await expect(pool.run('fail', { app: true })).rejects.toMatchObject({ code: 'MODEL_UNSUPPORTED', message: 'layer "x" has no maps', details: { layer: 'x' } });
    // Same process still: a thrown error is not a fault.
    expect(pool.running[0].pid).toBe(pid);
  });

  it('a process that aborts fails its task naming the signal; the next task runs in a fresh one', async () => {
    const pool = newPool();
    await pool.run('sum', { values: Float32Array.of(1) });
    const first = pool.running[0].pid!;
    const err = await pool.run('abort', undefined as never, { doing: 'fitting the probe of conv1' }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'RUNTIME_FAILED',
      message: expect.stringMatching(/^the compute process crashed \(signal SIGABRT.*\) while fitting the probe of conv1; a fresh one starts on the next task$/),
      details: { reason: 'crash', signal: 'SIGABRT' },
    });
    expect((await pool.run('sum', { values: Float32Array.of(2) })).sum).toBe(2);
    expect(pool.running[0].pid).not.toBe(first);
  });

  it('stops a process over its memory limit, saying so', async () => {
    const pool = newPool(300);
    const err = await pool.run('hold', { mb: 600, ms: 5000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'RUNTIME_FAILED',
      message: expect.stringMatching(/^the compute process went over its memory limit of 300 MB \(\d+ MB in use\) and was stopped \(set CONVSCOPE_RUNTIME_MEMORY_MB to change the limit\) while running "hold"/),
      details: { reason: 'memory' },
    });
    expect((await pool.run('hold', { mb: 10, ms: 1 })).bytes).toBe(10 * 2 ** 20);
  }, 30_000);

  it('kills the process when its task is cancelled', async () => {
    const pool = newPool();
    await pool.run('sum', { values: Float32Array.of(1) });
    const pid = pool.running[0].pid!;
    const ac = new AbortController();
    const spin = pool.run('spin', { ms: 20_000 }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await expect(spin).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(await gone(pid)).toBe(true);
    expect((await pool.run('sum', { values: Float32Array.of(3) })).sum).toBe(3);
  });

  it('ends its processes on close', async () => {
    const pool = newPool();
    await pool.run('sum', { values: Float32Array.of(1) });
    const pid = pool.running[0].pid!;
    await pool.close();
    expect(await gone(pid)).toBe(true);
  });
});
