import { describe, expect, it } from 'vitest';
import { averageRate, formatElapsed, isIndeterminate, jobCount, jobRate, stageText } from './job-text.ts';

describe('isIndeterminate', () => {
  it('slides for a single unit not yet done, fills otherwise', () => {
    expect(isIndeterminate({ done: 0, total: 1 })).toBe(true);
    expect(isIndeterminate({ done: 0, total: 0 })).toBe(true);
    expect(isIndeterminate({ done: 1, total: 1 })).toBe(false);
    expect(isIndeterminate({ done: 0, total: 4, stage: 'parsing' })).toBe(false);
    expect(isIndeterminate({ done: 0, total: 10_000 })).toBe(false);
  });
});

describe('jobCount', () => {
  it('names the step a staged job is in (stages done + 1), never past the last', () => {
    expect(jobCount({ done: 0, total: 4, stage: 'reading zf.onnx (249 MB)' })).toBe('step 1 of 4');
    expect(jobCount({ done: 2, total: 4, stage: 'loading into onnxruntime' })).toBe('step 3 of 4');
    expect(jobCount({ done: 4, total: 4, stage: 'checking the taps' })).toBe('step 4 of 4');
  });

  it('counts items of other jobs, and says nothing for a job of one unit', () => {
    expect(jobCount({ done: 1200, total: 10_000 })).toBe('1,200 / 10,000');
    expect(jobCount({ done: 0, total: 1 })).toBe('');
    // An open without stage events (older cores) is a job of one unit: just its label.
    expect(jobCount({ done: 0, total: 1, stage: undefined })).toBe('');
    expect(jobCount({ done: 0, total: 1, stage: '' })).toBe('');
  });
});

describe('a job counting items stage by stage', () => {
  const features = { done: 340, total: 1000, stage: 'features', unit: 'images', step: 1, steps: 2 };
  const fits = { done: 3, total: 35, stage: 'fits (layer × fold)', unit: 'fits', step: 2, steps: 2 };
  it('names its stage with its number, so a count from 0 again reads as the next stage', () => {
    expect(stageText(features)).toBe('Stage 1/2: features');
    expect(stageText(fits)).toBe('Stage 2/2: fits (layer × fold)');
    expect(stageText({ stage: 'parsing' })).toBe('parsing');
    expect(stageText({})).toBe('');
  });
  it('counts the stage’s items in its unit, with a rate', () => {
    expect(jobCount(features)).toBe('340 / 1,000 images');
    expect(jobCount(fits)).toBe('3 / 35 fits');
    expect(jobRate({ ...fits, rate: 2 })).toMatch(/^2(\.0)?\/s · ETA /);
    // A staged job without step numbers (opening a model) still counts steps, without a rate.
    expect(jobRate({ done: 1, total: 4, stage: 'parsing', rate: 2 })).toBe('');
  });
});

describe('formatElapsed', () => {
  it('counts whole seconds, then minutes and seconds, then hours and minutes', () => {
    expect(formatElapsed(0)).toBe('0 s');
    expect(formatElapsed(999)).toBe('0 s');
    expect(formatElapsed(1000)).toBe('1 s');
    expect(formatElapsed(59_999)).toBe('59 s');
    expect(formatElapsed(65_000)).toBe('1 min 05 s');
    expect(formatElapsed(3_599_000)).toBe('59 min 59 s');
    expect(formatElapsed(3_720_000)).toBe('1 h 02 min');
  });

  it('reads a clock that has not caught up (or nonsense) as 0 s', () => {
    expect(formatElapsed(-250)).toBe('0 s');
    expect(formatElapsed(Number.NaN)).toBe('0 s');
  });
});

describe('jobCount with a unit', () => {
  it('names what it counts, even a single item', () => {
    expect(jobCount({ done: 37, total: 256, unit: 'maps' })).toBe('37 / 256 maps');
    expect(jobCount({ done: 0, total: 225, unit: 'positions' })).toBe('0 / 225 positions');
    expect(jobCount({ done: 0, total: 1, unit: 'images' })).toBe('0 / 1 images');
  });
});

describe('jobRate', () => {
  it('gives rate and ETA once measured, nothing for staged jobs or unknown rates', () => {
    expect(jobRate({ done: 37, total: 256, unit: 'maps', rate: 9.2 })).toBe('9.2/s · ETA 24 s');
    expect(jobRate({ done: 256, total: 256, rate: 9.2 })).toBe('9.2/s');
    expect(jobRate({ done: 0, total: 225, rate: null })).toBe('');
    expect(jobRate({ done: 1, total: 4, stage: 'parsing', rate: 3 })).toBe('');
  });
});

describe('averageRate', () => {
  it('is done over the time to the last chunk, null before one', () => {
    expect(averageRate(16, 1000, 3000)).toBe(8);
    expect(averageRate(0, 1000, 1000)).toBeNull();
    expect(averageRate(8, 1000, 1000)).toBeNull();
  });
});
