import { describe, expect, it } from 'vitest';
import type { OcclusionResult } from '../../common/api-occlusion.ts';
import { Jobs, throwIfCancelled } from './jobs.ts';
import { resultBytes } from './kept-jobs.ts';

const fake = (n: number) => ({ grid: [n, n] }) as unknown as OcclusionResult;
const args = { path: 'a.png', size: 8 };

function clockedJobs(keep: { maxFinished?: number; ttlMs?: number; maxBytes?: number } = {}) {
  let t = 1000;
  const jobs = new Jobs(() => {}, 0, { ...keep, now: () => t });
  return { jobs, advance: (ms: number) => (t += ms) };
}

describe('kept jobs', () => {
  it('lists a running job with its count and arguments, then keeps its result by id', async () => {
    const { jobs } = clockedJobs();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const p = jobs.runKept('occlusion', args, 'Occlusion of a.png', 4, async (ctx) => {
      ctx.progress(3);
      await gate;
      return fake(2);
    }, 'occ-1', 'positions');
    await Promise.resolve();
    expect(jobs.kept.list()).toEqual([
      { jobId: 'occ-1', kind: 'occlusion', label: 'Occlusion of a.png', done: 3, total: 4, unit: 'positions', finished: false, startedAt: 1000, args },
    ]);
    const waiting = jobs.kept.result('occ-1');
    release();
    expect(await p).toEqual(fake(2));
    expect(await waiting).toEqual({ kind: 'occlusion', value: fake(2) });
    expect(jobs.kept.list()[0]).toMatchObject({ finished: true, done: 3 });
    expect(await jobs.kept.result('occ-1')).toEqual({ kind: 'occlusion', value: fake(2) });
  });

  it('gives a failed or cancelled job its error, and says so in the list', async () => {
    const { jobs } = clockedJobs();
    const p = jobs.runKept('occlusion', args, 'slow', 100, async (ctx) => {
      for (;;) {
        throwIfCancelled(ctx.signal, 'slow');
        await new Promise((r) => setTimeout(r, 1));
      }
    }, 'occ-2', 'positions');
    p.catch(() => {});
    jobs.cancel('occ-2');
    await expect(jobs.kept.result('occ-2')).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(jobs.kept.list()[0]).toMatchObject({ jobId: 'occ-2', finished: true, failed: 'CANCELLED' });
  });

  it('an unknown id is NOT_FOUND; finished results expire and only the newest few are kept', async () => {
    const { jobs, advance } = clockedJobs({ maxFinished: 2, ttlMs: 60_000 });
    expect(() => jobs.kept.result('nope')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    for (const id of ['a', 'b', 'c']) await jobs.runKept('occlusion', args, id, 1, async () => fake(1), id, 'positions');
    expect(jobs.kept.list().map((j) => j.jobId)).toEqual(['c', 'b']);
    expect(() => jobs.kept.result('a')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    // A running job is never dropped, however old.
    let release!: () => void;
    const running = jobs.runKept('occlusion', args, 'r', 1, () => new Promise((r) => (release = () => r(fake(3)))), 'r', 'positions');
    advance(60_001);
    expect(jobs.kept.list().map((j) => j.jobId)).toEqual(['r']);
    release();
    await running;
    expect(jobs.kept.list().map((j) => j.jobId)).toEqual(['r']);
  });

  it('drops the oldest finished results while they hold more than maxBytes', async () => {
    const { jobs } = clockedJobs({ maxBytes: 10_000 });
    const big = (n: number) => ({ grid: [1, 1], pClass: new Float32Array(n) }) as unknown as OcclusionResult;
    await jobs.runKept('occlusion', args, 'a', 1, async () => big(1000), 'a', 'positions');
    await jobs.runKept('occlusion', args, 'b', 1, async () => big(1000), 'b', 'positions');
    expect(jobs.kept.list().map((j) => j.jobId)).toEqual(['b', 'a']);
    await jobs.runKept('occlusion', args, 'c', 1, async () => big(1200), 'c', 'positions');
    expect(jobs.kept.list().map((j) => j.jobId)).toEqual(['c', 'b']);
    expect(resultBytes({ a: new Float32Array(4), s: 'ab', n: [1, 2] })).toBe(16 + 4 + 16);
  });
});
