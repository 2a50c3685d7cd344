import { describe, expect, it } from 'vitest';
import type { InvarianceImageResult, InvariancePart, InvarianceSweepsResult } from '../../src-main/common/api-invariance.ts';
import { applyParts, endRuns, runsFor, runsFromResult } from './invariance-runs.ts';

const image = (path: string): InvarianceImageResult => ({
  path, trueClass: 'Bag', trueIndex: 8, trueFrom: 'folder', distance: {}, normalized: {}, norm: {}, pTrue: new Float32Array([1]), top1: new Int32Array([8]),
});
const args = { paths: ['a.png', 'b.png'], sweeps: [{ transform: 'scale' as const, thetas: [1, 2] }, { transform: 'rotate' as const, thetas: [0, 90] }] };
const status = (runs: { status: string }[]) => runs.map((r) => r.status);

describe('invariance runs from a sweep job', () => {
  it('start with every run waiting, the job\'s layers or the view\'s', () => {
    expect(runsFor(args, ['l1'])).toMatchObject([
      { transform: 'scale', thetas: [1, 2], layers: ['l1'], images: [], total: 2, status: 'waiting', error: null },
      { transform: 'rotate', thetas: [0, 90], layers: ['l1'], total: 2, status: 'waiting' },
    ]);
    expect(runsFor({ ...args, layers: ['l2'] }, ['l1'])[1].layers).toEqual(['l2']);
  });

  it('follow the parts: a started run runs and ends the one before; images join their run; an error fails its run', () => {
    let runs = runsFor(args, ['l1']);
    const parts: InvariancePart[] = [{ run: 0, part: 'start', labels: ['x'] }, { run: 0, part: 'image', image: image('a.png') }];
    runs = applyParts(runs, parts);
    expect(status(runs)).toEqual(['running', 'waiting']);
    expect(runs[0].labels).toEqual(['x']);
    expect(runs[0].images.map((i) => i.path)).toEqual(['a.png']);
    const before = runs;
    runs = applyParts(runs, [{ run: 0, part: 'error', code: 'IMAGE_DECODE_FAILED', message: 'b.png: truncated' }, { run: 1, part: 'start', labels: ['x'] }]);
    expect(status(runs)).toEqual(['failed', 'running']);
    expect(runs[0].error).toBe('b.png: truncated');
    // A new list each time: the view's $state.raw sees the change; the old one is untouched.
    expect(status(before)).toEqual(['running', 'waiting']);
    runs = applyParts(runs, [{ run: 1, part: 'image', image: image('a.png') }, { run: 1, part: 'image', image: image('b.png') }]);
    expect(runs[1].images.map((i) => i.path)).toEqual(['a.png', 'b.png']);
    expect(status(endRuns(runs, 'cancelled'))).toEqual(['failed', 'cancelled']);
    expect(endRuns(runs, 'failed', 'runtime died')[1]).toMatchObject({ status: 'failed', error: 'runtime died' });
  });

  it('a run cancelled before it started stays cancelled when its start arrives; the one cancelling is done once the next starts', () => {
    const runs = runsFor(args, ['l1']).map((r, i) => ({ ...r, status: i === 0 ? ('cancelling' as const) : ('cancelled' as const) }));
    expect(status(applyParts(runs, [{ run: 1, part: 'start', labels: [] }]))).toEqual(['done', 'cancelled']);
  });

  it('the finished job\'s result gives every run, done or failed with its message', () => {
    const result: InvarianceSweepsResult = {
      ms: 1,
      runs: [
        { transform: 'scale', thetas: [1, 2], layers: ['l1'], labels: ['x'], images: [image('a.png'), image('b.png')], ms: 1 },
        { transform: 'rotate', thetas: [0, 90], layers: ['l1'], labels: ['x'], images: [], ms: 1, error: { code: 'IMAGE_DECODE_FAILED', message: 'a.png: truncated' } },
      ],
    };
    expect(runsFromResult(result, 2)).toMatchObject([
      { transform: 'scale', status: 'done', error: null, total: 2, images: result.runs[0].images },
      { transform: 'rotate', status: 'failed', error: 'a.png: truncated', images: [] },
    ]);
  });
});
