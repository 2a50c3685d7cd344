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
