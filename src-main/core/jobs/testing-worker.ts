// A compute worker for compute-pool.test.ts and compute-process.test.ts (as a thread or a process):
// tasks that answer, fail, spin, hold memory and die on demand.
import { threadId } from 'node:worker_threads';
import { AppError } from '../../common/errors.ts';
import { serveTasks } from './compute-serve.ts';

export const testTasks = {
  /** The sum of a typed array, and a fresh array of its doubled values (moved back to the caller). */
  sum({ values }: { values: Float32Array }) {
    let s = 0;
    for (const v of values) s += v;
    return { sum: s, doubled: values.map((v) => 2 * v), threadId };
  },
  /** Keeps this worker busy for `ms`, then says which worker it was. */
  spin({ ms }: { ms: number }) {
    const end = performance.now() + ms;
    while (performance.now() < end);
    return { threadId };
  },
  async fail({ app }: { app: boolean }): Promise<never> {
    if (app) throw new AppError('MODEL_UNSUPPORTED', 'layer "x" has no maps', { layer: 'x' });
    throw new RangeError('kernel went out of range');
  },
  exit({ code }: { code: number }): never {
    process.exit(code);
  },
  /** Dies as native code does when it aborts. */
  abort(): never {
    process.abort();
  },
  /** Holds `mb` MB (touched, so resident) for `ms`, then says which process it was. */
  async hold({ mb, ms }: { mb: number; ms: number }) {
    const kept = Buffer.alloc(mb * 2 ** 20, 1);
    await new Promise((r) => setTimeout(r, ms));
    return { pid: process.pid, bytes: kept.length };
  },
};

export type TestTasks = typeof testTasks;

serveTasks(testTasks);
