import { describe, expect, it } from 'vitest';
import { LruCache } from './lru.ts';

describe('LruCache', () => {
  it('evicts the least recently used entry and reports it', () => {
    const evicted: string[] = [];
    const c = new LruCache<string, string>(2, (v) => evicted.push(v));
    c.set('a', 'A');
    c.set('b', 'B');
    c.get('a'); // a is now the most recent
    c.set('c', 'C');
    expect(evicted).toEqual(['B']);
    expect(c.keys()).toEqual(['a', 'c']);
    expect(c.has('b')).toBe(false);
  });

  it('reports a replaced value, but not a re-set of the same value', () => {
    const evicted: string[] = [];
    const c = new LruCache<string, string>(3, (v) => evicted.push(v));
    c.set('a', 'A1');
    c.set('a', 'A1');
    c.set('a', 'A2');
    expect(evicted).toEqual(['A1']);
    expect(c.get('a')).toBe('A2');
    expect(c.size).toBe(1);
  });

  it('hands every value to onEvict on delete and clear', () => {
    const evicted: string[] = [];
    const c = new LruCache<number, string>(5, (v) => evicted.push(v));
    [1, 2, 3].forEach((k) => c.set(k, `v${k}`));
    expect(c.delete(2)).toBe(true);
    expect(c.delete(2)).toBe(false);
    c.clear();
    expect(evicted).toEqual(['v2', 'v1', 'v3']);
    expect(c.size).toBe(0);
  });

  it('refuses a capacity below one', () => {
    expect(() => new LruCache(0)).toThrow(RangeError);
  });
});
