import { describe, expect, it } from 'vitest';
import { fitImage } from './fit.ts';

describe('fitImage', () => {
  it('enlarges tiny images by a whole factor, pixelated', () => {
    expect(fitImage(28, 28, 500, 400)).toEqual({ width: 392, height: 392, pixelated: true });
    expect(fitImage(32, 16, 100, 100)).toEqual({ width: 96, height: 48, pixelated: true });
  });

  it('never enlarges larger images, and shrinks them to fit', () => {
    expect(fitImage(224, 224, 500, 400)).toEqual({ width: 224, height: 224, pixelated: false });
    expect(fitImage(2000, 1000, 500, 400)).toEqual({ width: 500, height: 250, pixelated: false });
  });

  it('handles an unmeasured box', () => {
    expect(fitImage(28, 28, 0, 0)).toEqual({ width: 0, height: 0, pixelated: false });
  });
});
