import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { argPath, argumentError, checkInt, describeValue, intArg, listArg, numberArg, oneOf, textArg } from './arg-checks.ts';
import { quoted, truncateText } from './text.ts';

describe('truncateText', () => {
  it('leaves short strings alone and cuts long ones in the middle to the limit', () => {
    expect(truncateText('conv1')).toBe('conv1');
    expect(truncateText('x'.repeat(100))).toBe('x'.repeat(100));
    const cut = truncateText(`${'a'.repeat(500)}${'z'.repeat(500)}`);
    expect(cut).toHaveLength(100);
    expect(cut).toBe(`${'a'.repeat(50)}…${'z'.repeat(49)}`);
    expect(truncateText('abcdefghij', 5)).toBe('ab…ij');
    expect(quoted('x'.repeat(300), 10)).toBe('"xxxxx…xxxx"');
  });

  it('never splits a surrogate pair', () => {
    const s = '😀'.repeat(200);
    const cut = truncateText(s, 11);
    expect(Array.from(cut)).toHaveLength(11);
    expect(cut).toBe(`${'😀'.repeat(5)}…${'😀'.repeat(5)}`);
  });
});

describe('describeValue and argPath', () => {
  it('shows what a call got without echoing long input', () => {
    expect(describeValue(0)).toBe('0');
    expect(describeValue(NaN)).toBe('NaN');
    expect(describeValue(-Infinity)).toBe('-Infinity');
    expect(describeValue('sh"ear\n')).toBe('"sh\\"ear\\n"');
    expect(describeValue('y'.repeat(5000))).toHaveLength(102);
    expect(describeValue([1, 2])).toBe('[1, 2]');
    expect(describeValue(Array(9).fill(0))).toBe('a list of 9 items');
    expect(describeValue(['a'])).toBe('a list of 1 item');
    expect(describeValue({})).toBe('an object');
    expect(describeValue(undefined)).toBe('nothing');
    expect(argPath(['targets', 0, 'position', 1])).toBe('targets[0].position[1]');
    expect(argPath([])).toBe('');
  });
});

describe('argumentError', () => {
  const schema = z.object({
    size: intArg(1, 10).optional(),
    scale: numberArg(0, 5, { aboveLo: true }).optional(),
    name: textArg(20).optional(),
    list: listArg(intArg(0, 3), 1, 2).optional(),
    mode: oneOf(['single', 'map']).optional(),
    plain: z.number().max(3).optional(),
    needed: z.string(),
  }).strict();
  const error = (arg: unknown) => {
    const r = schema.safeParse(arg, { reportInput: true });
    if (r.success) throw new Error('parsed');
    return argumentError('call', r.error.issues[0]);
  };
  const base = { needed: 'x' };

  it('out-of-range values are INVALID_ARGUMENT with both limits and what was given', () => {
    expect(error({ ...base, size: 0 })).toEqual({ code: 'INVALID_ARGUMENT', message: 'call: "size" must be an integer from 1 to 10, got 0', details: { argument: 'size' } });
    expect(error({ ...base, size: 2.5 }).message).toBe('call: "size" must be an integer from 1 to 10, got 2.5');
    expect(error({ ...base, size: NaN })).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'call: "size" must be an integer from 1 to 10, got NaN' });
    expect(error({ ...base, scale: 0 }).message).toBe('call: "scale" must be a number greater than 0 and at most 5, got 0');
    expect(error({ ...base, scale: Infinity })).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'call: "scale" must be a number greater than 0 and at most 5, got Infinity' });
    expect(error({ ...base, name: 'n'.repeat(1000) }).message).toBe('call: "name" must be a string of 1 to 20 characters, got 1000 characters');
    expect(error({ ...base, list: [] }).message).toBe('call: "list" must be a list of 1 to 2 items, got an empty list');
    expect(error({ ...base, list: [0, 4] }).message).toBe('call: "list[1]" must be an integer from 0 to 3, got 4');
    expect(error({ ...base, mode: 'both' })).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'call: "mode" must be one of "single", "map", got "both"' });
    // A schema without the builders' wording still gets a message naming the argument.
    expect(error({ ...base, plain: 4 })).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'call: "plain" must be at most 3, got 4' });
  });

  it('requests of the wrong shape are BAD_REQUEST', () => {
    expect(error({ ...base, size: '3' })).toMatchObject({ code: 'BAD_REQUEST', message: 'call: "size" must be an integer from 1 to 10, got "3"' });
    expect(error({})).toMatchObject({ code: 'BAD_REQUEST', message: 'call: "needed" is required' });
    expect(error({ ...base, extra: 1, more: 2 })).toEqual({ code: 'BAD_REQUEST', message: 'call: unknown arguments "extra", "more"' });
    expect(error({ ...base, ['k'.repeat(500)]: 1 }).message.length).toBeLessThan(80);
    expect(error(null)).toEqual({ code: 'BAD_REQUEST', message: 'call: the argument must be an object, got null' });
    expect(error(7)).toMatchObject({ code: 'BAD_REQUEST' });
  });
});

describe('checkInt', () => {
  it('passes undefined and in-range integers, and names the limit and where it comes from otherwise', () => {
    expect(() => checkInt('occlusion', 'size', undefined, 1, 64)).not.toThrow();
    expect(() => checkInt('occlusion', 'size', 64, 1, 64)).not.toThrow();
    expect(() => checkInt('occlusion', 'size', 65, 1, 64, 'the model input is 64×64')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'occlusion: "size" must be an integer from 1 to 64 (the model input is 64×64), got 65', details: { argument: 'size' } }),
    );
    expect(() => checkInt('topkTiles', 'channel', 0, 0, -1, 'layer "x" has 0 maps')).toThrow('topkTiles: "channel" cannot be given (layer "x" has 0 maps), got 0');
  });
});
