import { describe, expect, it } from 'vitest';
import { LatestOnly } from './latest-only.ts';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('LatestOnly', () => {
  it('runs the first request, then only the last one that arrived meanwhile', async () => {
    const ran: number[] = [];
    const gates = new Map<number, ReturnType<typeof deferred>>();
    const q = new LatestOnly<number>(async (n) => {
      ran.push(n);
      const g = deferred();
      gates.set(n, g);
      await g.promise;
    });
    q.request(1);
    q.request(2);
    q.request(3);
    q.request(4);
    expect(q.latest).toBe(4);
    expect(ran).toEqual([1]);
    gates.get(1)!.resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(ran).toEqual([1, 4]);
    gates.get(4)!.resolve();
    await q.idle();
    expect(q.busy).toBe(false);
  });

  it('keeps going after a task throws', async () => {
    const ran: number[] = [];
    const q = new LatestOnly<number>(async (n) => {
      ran.push(n);
      if (n === 1) throw new Error('boom');
    });
    q.request(1);
    await q.idle();
    q.request(2);
    await q.idle();
    expect(ran).toEqual([1, 2]);
  });
});
