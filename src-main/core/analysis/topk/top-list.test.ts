import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../onnx/seeded-random.ts';
import { compareNatural } from '../../images/folder.ts';
import { offer, type TopEntry } from './top-list.ts';

describe('offer (bounded top-k list)', () => {
  it('keeps the same k as sorting everything, whatever the arrival order, ties broken by path', () => {
    const rnd = seededRandom(5);
    // Values from a small set, so many ties.
    const all: TopEntry[] = Array.from({ length: 200 }, (_, i) => ({ image: `img${i}.png`, position: [0, 0], value: Math.floor(rnd() * 12) }));
    const reference = [...all].sort((a, b) => b.value - a.value || compareNatural(a.image, b.image)).slice(0, 9);
    for (let trial = 0; trial < 5; trial++) {
      const shuffled = [...all].sort(() => rnd() - 0.5);
      const list: TopEntry[] = [];
      for (const e of shuffled) offer(list, 9, e);
      expect(list.map((e) => e.image)).toEqual(reference.map((e) => e.image));
    }
  });

  it('ignores NaN and keeps fewer than k when fewer arrive', () => {
    const list: TopEntry[] = [];
    offer(list, 3, { image: 'a', position: [0, 0], value: NaN });
    offer(list, 3, { image: 'b', position: [1, 2], value: -1 });
    expect(list).toEqual([{ image: 'b', position: [1, 2], value: -1 }]);
  });
});
