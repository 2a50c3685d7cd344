import { describe, expect, it } from 'vitest';
import { fitImage, formatZoom } from './fit.ts';

describe('fitImage', () => {
  it('enlarges by a whole factor where that loses little of the box, pixelated', () => {
    expect(fitImage(28, 28, 500, 400)).toEqual({ width: 392, height: 392, pixelated: true });
    expect(fitImage(32, 16, 100, 100)).toEqual({ width: 96, height: 48, pixelated: true });
    expect(fitImage(224, 224, 500, 480)).toEqual({ width: 448, height: 448, pixelated: true });
  });

  it('fills the box otherwise, pixelated when enlarged, smooth when shrunk', () => {
    expect(fitImage(224, 224, 500, 400)).toEqual({ width: 400, height: 400, pixelated: true });
    expect(fitImage(224, 224, 600, 600)).toEqual({ width: 600, height: 600, pixelated: true });
    expect(fitImage(224, 224, 224, 300)).toEqual({ width: 224, height: 224, pixelated: false });
    expect(fitImage(2000, 1000, 500, 400)).toEqual({ width: 500, height: 250, pixelated: false });
  });

  it('draws a 28-px and a 224-px input at about the same size in the same box', () => {
    const small = fitImage(28, 28, 600, 600);
    const large = fitImage(224, 224, 600, 600);
    expect(Math.abs(small.width - large.width) / large.width).toBeLessThan(0.1);
  });

  it('handles an unmeasured box', () => {
    expect(fitImage(28, 28, 0, 0)).toEqual({ width: 0, height: 0, pixelated: false });
  });
});

describe('formatZoom', () => {
  it('says a whole factor as N×, anything else as a percentage', () => {
    expect(formatZoom(532, 28)).toBe('19×');
    expect(formatZoom(224, 224)).toBe('1×');
    expect(formatZoom(400, 224)).toBe('179%');
    expect(formatZoom(500, 2000)).toBe('25%');
    expect(formatZoom(0, 28)).toBe('');
  });
});
