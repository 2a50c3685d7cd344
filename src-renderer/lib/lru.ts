// A small least-recently-used map; evicted values go to `onEvict` (e.g. to revoke object URLs).

export class LruCache<K, V> {
  private readonly map = new Map<K, V>();

  constructor(
    readonly capacity: number,
    private readonly onEvict: (value: V, key: K) => void = () => {},
  ) {
    if (!(capacity >= 1)) throw new RangeError(`LRU capacity must be at least 1, got ${capacity}`);
  }

  get size(): number {
    return this.map.size;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Returns the value and marks it most recently used. */
  get(key: K): V | undefined {
    if (!this.map.has(key)) return undefined;
    const v = this.map.get(key) as V;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  set(key: K, value: V): void {
    const old = this.map.get(key);
    if (this.map.has(key)) {
      this.map.delete(key);
      if (old !== value) this.onEvict(old as V, key);
    }
    this.map.set(key, value);
    while (this.map.size > this.capacity) {
      const [k, v] = this.map.entries().next().value as [K, V];
      this.map.delete(k);
      this.onEvict(v, k);
    }
  }

  delete(key: K): boolean {
    if (!this.map.has(key)) return false;
    const v = this.map.get(key) as V;
    this.map.delete(key);
    this.onEvict(v, key);
    return true;
  }

  clear(): void {
    const all = [...this.map.entries()];
    this.map.clear();
    for (const [k, v] of all) this.onEvict(v, k);
  }

  keys(): K[] {
    return [...this.map.keys()];
  }
}
