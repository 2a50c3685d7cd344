// The dispatcher never throws, whatever a client sends as the method's name.
import { describe, expect, it } from 'vitest';
import type { ApiCalls } from '../../common/api.ts';
import { createDispatcher } from './dispatcher.ts';

describe('createDispatcher', () => {
  it('answers UNKNOWN_METHOD for any method that is not a call, objects with a hostile toString included', async () => {
    const calls = { getState: async () => ({ ok: 1 }) } as unknown as ApiCalls;
    const dispatch = createDispatcher(calls);
    const hostile = { toString: 1 };
    for (const method of ['nope', 'x'.repeat(10_000), 42, null, undefined, hostile, ['getState'], Symbol.iterator, '__proto__', 'constructor']) {
      const env = await dispatch(method, {});
      expect(env.ok).toBe(false);
      if (!env.ok) {
        expect(env.error.code).toBe('UNKNOWN_METHOD');
        expect(env.error.message.length).toBeLessThan(200);
      }
    }
    expect(await dispatch('getState', {})).toEqual({ ok: true, value: { ok: 1 } });
  });
});
