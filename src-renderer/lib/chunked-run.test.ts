import { describe, expect, it } from 'vitest';
import { chunk, ChunkedRun } from './chunked-run.ts';

describe('chunk', () => {
  it('splits into runs of at most `size`', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 8)).toEqual([]);
  });
});

describe('ChunkedRun', () => {
  it('issues one chunk at a time and reports progress as each lands', async () => {
    const calls: number[][] = [];
    const progress: number[][] = [];
    const run = new ChunkedRun([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 4, async (c) => {
      calls.push(c);
      return c.map((x) => x * 10);
    }, (results, done, total) => progress.push([results.length, done, total]));
    expect(await run.start()).toEqual({ status: 'done', done: 10 });
    expect(calls).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(progress).toEqual([[4, 4, 10], [4, 8, 10], [2, 10, 10]]);
  });

  it('stops issuing chunks once cancelled; the chunk in flight still lands', async () => {
    const calls: number[][] = [];
    const landed: number[] = [];
    let run!: ChunkedRun<number, number>;
    run = new ChunkedRun([0, 1, 2, 3, 4, 5, 6, 7], 2, async (c) => {
      calls.push(c);
      if (calls.length === 2) run.cancel();
      return c;
    }, (results) => landed.push(...results));
    expect(await run.start()).toEqual({ status: 'cancelled', done: 4 });
    expect(calls).toEqual([[0, 1], [2, 3]]);
    expect(landed).toEqual([0, 1, 2, 3]);
  });

  it('reports a failed chunk and issues nothing after it', async () => {
    const calls: number[][] = [];
    const boom = new Error('unsupported op');
    const run = new ChunkedRun([0, 1, 2, 3], 1, async (c) => {
      calls.push(c);
      if (c[0] === 1) throw boom;
      return c;
    }, () => {});
    expect(await run.start()).toEqual({ status: 'failed', done: 1, error: boom });
    expect(calls).toEqual([[0], [1]]);
  });
});
