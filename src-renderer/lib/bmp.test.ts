import { describe, expect, it } from 'vitest';
import { encodeBmp } from './bmp.ts';

describe('encodeBmp', () => {
  it('writes a 24-bit top-down BMP: headers, BGR pixels, rows padded to 4 bytes', () => {
    // 2×2: red, green / blue, white (alpha ignored).
    const rgba = new Uint8Array([255, 0, 0, 255, 0, 255, 0, 9, 0, 0, 255, 255, 255, 255, 255, 0]);
    const bmp = encodeBmp(2, 2, rgba);
    const v = new DataView(bmp.buffer);
    const stride = 8; // 2 pixels × 3 bytes, padded to 8
    expect(String.fromCharCode(bmp[0], bmp[1])).toBe('BM');
    expect(v.getUint32(2, true)).toBe(bmp.length);
    expect(bmp.length).toBe(54 + 2 * stride);
    expect(v.getUint32(10, true)).toBe(54);
    expect(v.getUint32(14, true)).toBe(40);
    expect(v.getInt32(18, true)).toBe(2);
    expect(v.getInt32(22, true)).toBe(-2);
    expect(v.getUint16(28, true)).toBe(24);
    expect(v.getUint32(30, true)).toBe(0);
    expect([...bmp.subarray(54, 54 + stride)]).toEqual([0, 0, 255, 0, 255, 0, 0, 0]);
    expect([...bmp.subarray(54 + stride)]).toEqual([255, 0, 0, 255, 255, 255, 0, 0]);
  });

  it('needs no padding when a row is a multiple of 4 bytes, and refuses bad sizes', () => {
    expect(encodeBmp(4, 1, new Uint8Array(16)).length).toBe(54 + 12);
    expect(() => encodeBmp(0, 1, new Uint8Array(0))).toThrow(RangeError);
    expect(() => encodeBmp(2, 2, new Uint8Array(8))).toThrow(RangeError);
  });
});
