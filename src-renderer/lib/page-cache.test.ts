import { describe, expect, it } from 'vitest';
import { PageCache } from './page-cache.ts';

function folder(total: number) {
  const calls: [number, number][] = [];
  const fetch = async (offset: number, limit: number) => {
    calls.push([offset, limit]);
    const entries = Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, k) => `img${offset + k}`);
    return { total, entries };
  };
  return { fetch, calls };
}

describe('PageCache', () => {
  it('maps an item range to the pages covering it', () => {
    const c = new PageCache<string>(folder(1000).fetch, 100, 1000);
    expect(c.pagesFor(0, 1)).toEqual([0]);
    expect(c.pagesFor(95, 205)).toEqual([0, 1, 2]);
    expect(c.pagesFor(990, 2000)).toEqual([9]);
    expect(c.pagesFor(50, 50)).toEqual([]);
  });

  it('fetches only the pages a range needs, each once', async () => {
    const f = folder(10_000);
    let loads = 0;
    const c = new PageCache<string>(f.fetch, 200, 10_000, () => loads++);
    await Promise.all([c.ensure(0, 30), c.ensure(10, 40)]);
    expect(f.calls).toEqual([[0, 200]]);
    expect(c.at(29)).toBe('img29');
    expect(c.at(250)).toBeUndefined();
    expect(await c.get(5_432)).toBe('img5432');
    expect(f.calls).toEqual([[0, 200], [5_400, 200]]);
    expect(loads).toBe(2);
  });

  it('forgets pages on reset and drops answers for the old listing', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const c = new PageCache<string>(async (offset) => {
      await gate;
      return { total: 5, entries: [`old${offset}`] };
    }, 10, 5);
    const pending = c.ensure(0, 1);
    c.reset(3);
    release();
    await pending;
    expect(c.at(0)).toBeUndefined();
    expect(c.total).toBe(3);
  });

  it('reports a failed page and lets it be fetched again', async () => {
    let fail = true;
    const errors: unknown[] = [];
    const c = new PageCache<string>(async () => {
      if (fail) throw new Error('NO_FOLDER');
      return { total: 1, entries: ['x'] };
    }, 10, 1, () => {}, (e) => errors.push(e));
    await c.ensure(0, 1);
    expect(errors).toHaveLength(1);
    fail = false;
    expect(await c.get(0)).toBe('x');
  });
});
