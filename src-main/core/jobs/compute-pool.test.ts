// The compute pool with real worker threads (testing-worker.ts), booted from sources through tsx.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../common/errors.ts';
import { ComputePool } from './compute-pool.ts';
import type { TestTasks } from './testing-worker.ts';

const entry = new URL('./testing-worker.ts', import.meta.url);
const pools: ComputePool<TestTasks>[] = [];
const newPool = (size = 1, terminateAfterMs?: number) => {
  const p = new ComputePool<TestTasks>({ entry, size, terminateAfterMs });
  pools.push(p);
  return p;
};

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe('ComputePool', () => {
  it('runs a named task in a worker thread and moves the buffers it is told to', async () => {
    const pool = newPool();
    expect(pool.workers).toBe(0); // started on first use
    const values = Float32Array.from([1, 2, 3.5]);
    const r = await pool.run('sum', { values }, { transfer: [values.buffer] });
    expect(r.sum).toBe(6.5);
    expect(Array.from(r.doubled)).toEqual([2, 4, 7]);
    expect(r.threadId).toBeGreaterThan(0);
    expect(values.byteLength).toBe(0); // moved, not copied
    // Without a transfer list the caller keeps its array.
    const kept = Float32Array.from([1, 1]);
    expect((await pool.run('sum', { values: kept })).sum).toBe(2);
    expect(kept.length).toBe(2);
    expect(pool.workers).toBe(1);
  });

  it('runs tasks side by side on as many workers as it has', async () => {
    const pool = newPool(2);
    const [a, b] = await Promise.all([pool.run('spin', { ms: 150 }), pool.run('spin', { ms: 150 })]);
    expect(a.threadId).not.toBe(b.threadId);
    // A third task waits for a free worker rather than starting another.
    await Promise.all([pool.run('spin', { ms: 20 }), pool.run('spin', { ms: 20 }), pool.run('spin', { ms: 20 })]);
    expect(pool.workers).toBe(2);
  });

  it('brings a task error back with its message, and an AppError with its code and details', async () => {
    const pool = newPool();
    await expect(pool.run('fail', { app: false })).rejects.toThrow('kernel went out of range');
    await expect(pool.run('fail', { app: false })).rejects.toMatchObject({ name: 'RangeError' });
    const e = await pool.run('fail', { app: true }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AppError);
    expect(e).toMatchObject({ code: 'MODEL_UNSUPPORTED', message: 'layer "x" has no maps', details: { layer: 'x' } });
    await expect(pool.run('nope' as 'sum', { values: new Float32Array(1) })).rejects.toThrow('no task "nope"');
    // The worker survives its tasks' errors.
    expect((await pool.run('sum', { values: Float32Array.from([4]) })).sum).toBe(4);
    expect(pool.workers).toBe(1);
  });

  it('cancels: before the start, while queued and while running (a long task loses its worker)', async () => {
    const pool = newPool(1, 20);
    const gone = new AbortController();
    gone.abort();
    await expect(pool.run('spin', { ms: 1 }, { signal: gone.signal })).rejects.toMatchObject({ code: 'CANCELLED' });

    const { threadId: first } = await pool.run('spin', { ms: 1 });
    const running = new AbortController();
    const queued = new AbortController();
    const t0 = performance.now();
    const long = pool.run('spin', { ms: 5_000 }, { signal: running.signal });
    const waiting = pool.run('spin', { ms: 1 }, { signal: queued.signal });
    const after = pool.run('spin', { ms: 1 });
    queued.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED' });
    setTimeout(() => running.abort(), 50);
    await expect(long).rejects.toMatchObject({ code: 'CANCELLED', message: 'spin: cancelled' });
    // The queued task runs on a fresh worker long before the 5 s task could have finished.
    const next = await after;
    expect(performance.now() - t0).toBeLessThan(4_000);
    expect(next.threadId).not.toBe(first);
    expect(pool.workers).toBe(1);
  });

  it('fails only the running task when its worker dies, and starts a new worker for the next', async () => {
    const pool = newPool();
    const { threadId: before } = await pool.run('spin', { ms: 1 });
    await expect(pool.run('exit', { code: 3 })).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('exited (code 3) while running "exit"') });
    const { threadId: after } = await pool.run('spin', { ms: 1 });
    expect(after).not.toBe(before);
  });

  it('runs off the main thread: timers keep firing during a long task', async () => {
    const pool = newPool();
    await pool.run('spin', { ms: 1 }); // the worker is up
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const t0 = performance.now();
    await pool.run('spin', { ms: 400 });
    const elapsed = performance.now() - t0;
    clearInterval(timer);
    // The same loop on this thread would let no timer fire until it returned.
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(ticks).toBeGreaterThan(5);
  });

  it('does not keep a process alive once its tasks are done', () => {
    const script = `
      import { ComputePool } from ${JSON.stringify(new URL('./compute-pool.ts', import.meta.url).href)};
      const pool = new ComputePool({ entry: new URL(${JSON.stringify(entry.href)}) });
      const r = await pool.run('sum', { values: Float32Array.from([1, 2]) });
      console.log('sum', r.sum);`;
    const cwd = fileURLToPath(new URL('../../..', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd, encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('sum 3');
    expect(r.status).toBe(0); // not killed by the timeout: the idle worker let the process end
  });

  it('refuses tasks once closed, and fails those still queued or running', async () => {
    const pool = newPool();
    const running = pool.run('spin', { ms: 2_000 }).catch((e: unknown) => e);
    const queued = pool.run('spin', { ms: 1 }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 20));
    await pool.close();
    expect(await running).toMatchObject({ code: 'CANCELLED' });
    expect(await queued).toMatchObject({ code: 'CANCELLED' });
    await expect(pool.run('spin', { ms: 1 })).rejects.toThrow(/closed/);
  });
});
