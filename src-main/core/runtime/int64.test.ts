// Switches come out of onnxruntime as int64 and travel as Int32 where every value fits.
import { describe, expect, it } from 'vitest';
import { toInt32 } from './loaded-model.ts';

describe('toInt32', () => {
  it('keeps every value that fits 32 bits, negative ones and the extremes included', () => {
    const values = [0n, 1n, -1n, 2147483647n, -2147483648n, 123456789n, -98765n];
    expect(Array.from(toInt32(BigInt64Array.from(values))!)).toEqual(values.map(Number));
    // A view that starts inside its buffer.
    const backing = BigInt64Array.from([9n, 7n, -3n]);
    expect(Array.from(toInt32(backing.subarray(1))!)).toEqual([7, -3]);
  });

  it('gives null when one value does not fit, however far down the array', () => {
    for (const bad of [2147483648n, -2147483649n, 2n ** 40n, -(2n ** 62n)]) {
      const data = BigInt64Array.from({ length: 1000 }, (_, i) => BigInt(i));
      data[997] = bad;
      expect(toInt32(data), String(bad)).toBeNull();
    }
  });
});
