import { describe, expect, it } from 'vitest';
import { rememberStartedJob, startedJobs, STARTED_KEY } from './started-jobs.ts';

function memory() {
  const m = new Map<string, string>();
  return () => ({ getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) });
}

describe('jobs this tab started', () => {
  it('remembers the newest 20, once each', () => {
    const s = memory();
    for (let i = 0; i < 25; i++) rememberStartedJob(`j${i}`, s);
    rememberStartedJob('j10', s);
    const list = startedJobs(s);
    expect(list).toHaveLength(20);
    expect(list.at(-1)).toBe('j10');
    expect(list[0]).toBe('j5');
  });

  it('survives broken or missing storage', () => {
    const broken = () => {
      throw new Error('blocked');
    };
    expect(startedJobs(broken)).toEqual([]);
    expect(() => rememberStartedJob('x', broken)).not.toThrow();
    const s = memory();
    s().setItem(STARTED_KEY, '{not json');
    expect(startedJobs(s)).toEqual([]);
  });
});
