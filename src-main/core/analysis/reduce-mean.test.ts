// reduceMean (onnxruntime's summation order) against its float64 twin, over runs that start on and
// off a 4-float boundary and are shorter than, equal to and longer than the two packets in flight.
// That it is onnxruntime's own number is checked against the in-graph means in report/gather.test.ts.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../onnx/index.ts';
import { reduceMean, reduceMeanNaive, rowMeans } from './reduce-mean.ts';

describe('reduceMean', () => {
  const rnd = seededRandom(7);
  const data = Float32Array.from({ length: 400 }, () => rnd() * 10 - 3);

  it('agrees with the float64 mean for every start and length', () => {
    for (let start = 0; start < 9; start++) {
      for (const length of [1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 31, 49, 169, 361]) {
        const e = reduceMeanNaive(data, start, length);
        const got = reduceMean(data, start, length);
        expect(Math.abs(got - e), `start ${start}, length ${length}`).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(e));
        expect(got).toBe(Math.fround(got));
      }
    }
  });

  it('is a single value itself, and sums a run of equal values exactly', () => {
    expect(reduceMean(data, 5, 1)).toBe(data[5]);
    expect(reduceMean(new Float32Array(100).fill(0.5), 3, 97)).toBe(0.5);
  });

  it('rowMeans averages consecutive runs', () => {
    const got = rowMeans(data, 13, 3, 7);
    expect(Array.from(got)).toEqual([0, 1, 2].map((r) => reduceMean(data, 13 + r * 7, 7)));
  });
});
