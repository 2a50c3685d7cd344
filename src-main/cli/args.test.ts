import { describe, expect, it } from 'vitest';
import { intOption, parse, UsageError } from './args.ts';

describe('parse', () => {
  const options = { range: { type: 'string' }, json: { type: 'boolean' }, position: { type: 'string' } } as const;

  it('takes a negative number as the value of a string option', () => {
    expect(parse(['--range', '-17:17:35', '--json'], options)).toEqual({ range: '-17:17:35', json: true });
    expect(parse(['--position', '-.5,2'], options)).toEqual({ position: '-.5,2' });
    expect(parse(['--range=-3:3:7'], options)).toEqual({ range: '-3:3:7' });
  });

  it('still refuses unknown options and an option given where a value belongs', () => {
    expect(() => parse(['--range', '--json'], options)).toThrow(UsageError);
    expect(() => parse(['--nope'], options)).toThrow(UsageError);
    expect(() => parse(['--json', '-5'], options)).toThrow(UsageError);
  });
});

describe('intOption', () => {
  it('reads an integer at least min, and nothing when the option is absent', () => {
    expect(intOption({ size: '16' }, 'size', 1)).toBe(16);
    expect(intOption({ class: '0' }, 'class', 0)).toBe(0);
    expect(intOption({}, 'size', 1)).toBeUndefined();
  });

  it('refuses a value below min or not an integer, naming the option', () => {
    expect(() => intOption({ size: '0' }, 'size', 1)).toThrow(new UsageError('--size must be an integer ≥ 1, got "0"'));
    expect(() => intOption({ k: '2.5' }, 'k', 1)).toThrow(UsageError);
    expect(() => intOption({ k: 'x' }, 'k', 1)).toThrow(/--k must be an integer ≥ 1, got "x"/);
  });
});
