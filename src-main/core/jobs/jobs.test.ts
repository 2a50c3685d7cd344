import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../common/api.ts';
import { Jobs, throwIfCancelled } from './jobs.ts';

describe('Jobs', () => {
  it('reports start, progress and finish, and returns the result', async () => {
    const events: ProgressEvent[] = [];
    const jobs = new Jobs((e) => events.push(e));
    const result = await jobs.run('count', 3, async (ctx) => {
      for (let i = 1; i <= 3; i++) ctx.progress(i);
      return 42;
    }, 'j1');
    expect(result).toBe(42);
    expect(events[0]).toMatchObject({ jobId: 'j1', done: 0, total: 3, finished: false });
    expect(events.at(-1)).toMatchObject({ jobId: 'j1', done: 3, total: 3, finished: true });
    expect(jobs.active).toEqual([]);
  });

  it('a job counting stage by stage sends each stage at once with its number and unit', async () => {
    const events: ProgressEvent[] = [];
    const jobs = new Jobs((e) => events.push(e), 60_000);
    await jobs.run('probe', 10, async (ctx) => {
      ctx.progress(0, 10, 'features', { step: 1, steps: 2, unit: 'images' });
      ctx.progress(10, 10, 'features', { step: 1, steps: 2, unit: 'images' });
      ctx.progress(0, 4, 'fits', { step: 2, steps: 2, unit: 'fits' });
    }, 'j3', 'images');
    expect(events.map((e) => [e.stage, e.step, e.steps, e.unit, e.done, e.total])).toEqual([
      [undefined, undefined, undefined, 'images', 0, 10],
      ['features', 1, 2, 'images', 0, 10],
      ['features', 1, 2, 'images', 10, 10],
      ['fits', 2, 2, 'fits', 0, 4],
      [undefined, 2, 2, 'fits', 0, 4],
    ]);
  });

  it('cancels a running job through its signal', async () => {
    const jobs = new Jobs(() => {});
    let seen = 0;
    const p = jobs.run('loop', 1000, async (ctx) => {
      for (let i = 0; i < 1000; i++) {
        throwIfCancelled(ctx.signal, 'loop');
        seen = i;
        await new Promise((r) => setTimeout(r, 1));
      }
      return 'done';
    }, 'j2');
    await new Promise((r) => setTimeout(r, 20));
    expect(jobs.cancel('j2')).toBe(true);
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(seen).toBeLessThan(999);
    expect(jobs.cancel('j2')).toBe(false);
  });
});
