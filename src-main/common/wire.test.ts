import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from './wire.ts';

describe('wire codec', () => {
  it('round-trips nested typed arrays as raw bytes, aligned, with JSON around them', () => {
    const f = new Float32Array([1.5, -2, Math.PI, 1e-30]);
    const odd = new Uint8Array([1, 2, 3]); // odd length forces padding of what follows
    const i = new Int32Array([7, -9]);
    const msg = { id: 3, ok: true, value: { a: f, nested: [odd, { i }], s: 'x' } };
    const bytes = encodeMessage(msg);
    // Raw, not JSON numbers: the float bytes appear verbatim in the frame.
    const needle = new Uint8Array(f.buffer);
    const hay = Buffer.from(bytes);
    expect(hay.indexOf(Buffer.from(needle))).toBeGreaterThan(0);
    const back = decodeMessage(bytes) as typeof msg;
    expect(back.id).toBe(3);
    expect(back.value.a).toBeInstanceOf(Float32Array);
    expect(Array.from(back.value.a)).toEqual(Array.from(f));
    expect(Array.from(back.value.nested[0] as Uint8Array)).toEqual([1, 2, 3]);
    expect(Array.from((back.value.nested[1] as { i: Int32Array }).i)).toEqual([7, -9]);
    expect(back.value.s).toBe('x');
  });

  it('refuses truncated frames', () => {
    const bytes = encodeMessage({ a: new Float32Array(16) });
    expect(() => decodeMessage(bytes.subarray(0, bytes.length - 8))).toThrow(/truncated/);
    expect(() => decodeMessage(new Uint8Array(2))).toThrow(/too short/);
  });
});
