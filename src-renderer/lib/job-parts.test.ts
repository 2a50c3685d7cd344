import { describe, expect, it } from 'vitest';
import { PartsFollower } from './job-parts.ts';

/** A job's parts growing over time, served from `from` on as jobParts does, with the requests seen. */
function source() {
  const all: number[] = [];
  const asked: number[] = [];
  let inFlight = 0;
  let most = 0;
  const fetch = async (from: number) => {
    asked.push(from);
    most = Math.max(most, ++inFlight);
    await new Promise((r) => setTimeout(r, 2));
    inFlight--;
    return all.slice(from);
  };
  return { all, asked, fetch, most: () => most };
}

describe('PartsFollower', () => {
  it('hands every part over once, in order, one request at a time, however the pulls bunch up', async () => {
    const src = source();
    const seen: number[] = [];
    const f = new PartsFollower<number>(src.fetch, (parts, from) => {
      expect(from).toBe(seen.length);
      seen.push(...parts);
    });
    const pulls: Promise<void>[] = [];
    for (let i = 0; i < 30; i++) {
      src.all.push(i);
      pulls.push(f.pull(), f.pull());
      if (i % 7 === 0) await new Promise((r) => setTimeout(r, 3));
    }
    await Promise.all(pulls);
    await f.pull();
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(f.count).toBe(30);
    expect(src.most()).toBe(1);
    // Bunched pulls joined the one waiting to start: far fewer requests than pulls.
    expect(src.asked.length).toBeLessThan(30);
    expect(src.asked).toEqual([...src.asked].sort((a, b) => a - b));
  });

  it('a failed request hands nothing over and the next one asks from the same place; after stop nothing more comes', async () => {
    let fail = true;
    const seen: string[] = [];
    const asked: number[] = [];
    const f = new PartsFollower<string>(async (from) => {
      asked.push(from);
      if (fail) throw new Error('socket closed');
      return ['a', 'b'].slice(from);
    }, (parts) => seen.push(...parts));
    await f.pull();
    fail = false;
    await f.pull();
    expect([seen, asked]).toEqual([['a', 'b'], [0, 0]]);
    f.stop();
    await f.pull();
    expect(asked).toEqual([0, 0]);
  });
});
