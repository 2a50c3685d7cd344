import { describe, expect, it } from 'vitest';
import { etaSeconds, formatEta, formatRate, progressText, RateMeter } from './progress-text.ts';

describe('progress text', () => {
  it('words rates: one decimal when slow, whole when fast, seconds per item when very slow', () => {
    expect(formatRate(9.14)).toBe('9.1/s');
    expect(formatRate(42.4)).toBe('42/s');
    expect(formatRate(1234)).toBe('1,234/s');
    expect(formatRate(0.05)).toBe('20 s each');
    expect(formatRate(null)).toBe('');
    expect(formatRate(0)).toBe('');
    expect(formatRate(Number.NaN)).toBe('');
  });

  it('words the time left, rounded up', () => {
    expect(formatEta(23.2)).toBe('ETA 24 s');
    expect(formatEta(0)).toBe('ETA 0 s');
    expect(formatEta(185)).toBe('ETA 3 min 05 s');
    expect(formatEta(3720)).toBe('ETA 1 h 02 min');
    expect(formatEta(null)).toBe('');
    expect(formatEta(Infinity)).toBe('');
  });

  it('reads `37 / 256 maps · 9.1/s · ETA 24 s`, the count alone while the rate is unknown', () => {
    expect(progressText(37, 256, 'maps', 9.2)).toBe('37 / 256 maps · 9.2/s · ETA 24 s');
    expect(progressText(0, 225, 'positions', null)).toBe('0 / 225 positions');
    expect(progressText(1200, 10_000, undefined, null)).toBe('1,200 / 10,000');
    expect(progressText(256, 256, 'maps', 9.1)).toBe('256 / 256 maps · 9.1/s');
    expect(etaSeconds(10, 20, 0)).toBeNull();
  });

  it('measures the rate over its window and starts again when the count goes back', () => {
    const m = new RateMeter(5000);
    expect(m.rate()).toBeNull();
    m.add(0, 0);
    m.add(10, 1000);
    expect(m.rate()).toBe(10);
    expect(m.eta(30)).toBe(2);
    m.add(20, 11_000);
    m.add(30, 12_000);
    // The oldest sample kept is the last one before the window: 20 items over 11 s.
    expect(m.rate()).toBeCloseTo(20 / 11);
    m.add(0, 13_000);
    expect(m.rate()).toBeNull();
  });
});
