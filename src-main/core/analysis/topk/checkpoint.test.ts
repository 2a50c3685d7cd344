import { describe, expect, it } from 'vitest';
import { Checkpoints, checkpointIntervalMs, DEFAULT_CHECKPOINT_SECONDS } from './checkpoint.ts';

describe('Checkpoints', () => {
  it('saves once the interval has passed, and waits longer after a slow save (≤ 5% of the time saving)', async () => {
    let t = 0;
    const saves: number[] = [];
    let cost = 10;
    const cp = new Checkpoints(async () => {
      saves.push(t);
      t += cost;
    }, 1000, () => t);
    t = 999;
    await cp.maybe();
    expect(saves).toEqual([]);
    t = 1000;
    await cp.maybe();
    expect(saves).toEqual([1000]);
    // The last save took 10 ms: the interval (1 s) still rules.
    cost = 200;
    t = 2010;
    await cp.maybe();
    expect(saves).toEqual([1000, 2010]);
    // That one took 200 ms: the next waits 20 × 200 ms = 4 s.
    t = 2210 + 3999;
    await cp.maybe();
    expect(saves).toHaveLength(2);
    t = 2210 + 4000;
    await cp.maybe();
    expect(saves).toHaveLength(3);
  });

  it('reads the interval from $CONVSCOPE_CHECKPOINT_SECONDS, else the default', () => {
    expect(checkpointIntervalMs({ CONVSCOPE_CHECKPOINT_SECONDS: '0.25' })).toBe(250);
    expect(checkpointIntervalMs({})).toBe(DEFAULT_CHECKPOINT_SECONDS * 1000);
    expect(checkpointIntervalMs({ CONVSCOPE_CHECKPOINT_SECONDS: 'soon' })).toBe(DEFAULT_CHECKPOINT_SECONDS * 1000);
  });
});
