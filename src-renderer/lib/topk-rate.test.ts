import { describe, expect, it } from 'vitest';
import { RateMeter } from './topk-rate.ts';

describe('RateMeter', () => {
  it('measures images/s and the time left over its window', () => {
    const m = new RateMeter(5000);
    expect(m.rate()).toBeNull();
    m.add(0, 0);
    m.add(100, 1000);
    m.add(300, 2000);
    expect(m.rate()).toBeCloseTo(150, 9);
    expect(m.eta(600)).toBeCloseTo(2, 9);
    // Old samples leave the window: only the recent speed counts.
    m.add(1300, 8000);
    expect(m.rate()).toBeCloseTo((1300 - 300) / 6, 9);
  });

  it('starts over when a new run reports less done', () => {
    const m = new RateMeter();
    m.add(50, 0);
    m.add(100, 1000);
    m.add(10, 1500);
    expect(m.rate()).toBeNull();
  });
});
