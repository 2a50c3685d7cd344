import { describe, expect, it } from 'vitest';
import { parse, UsageError } from './args.ts';

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
