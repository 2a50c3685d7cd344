import { describe, expect, it } from 'vitest';
import { CancelledError, ThumbnailLoader } from './thumbnail-loader.ts';

interface Call {
  path: string;
  size: number;
  resolve: (b: Uint8Array) => void;
  reject: (e: unknown) => void;
}

function harness(opts: { capacity?: number; concurrency?: number } = {}) {
  const calls: Call[] = [];
  const revoked: string[] = [];
  let n = 0;
  const loader = new ThumbnailLoader({
    fetch: (path, size) => new Promise<Uint8Array>((resolve, reject) => calls.push({ path, size, resolve, reject })),
    createUrl: () => `blob:${++n}`,
    revokeUrl: (u) => revoked.push(u),
    ...opts,
  });
  return { loader, calls, revoked };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('ThumbnailLoader', () => {
  it('limits requests in flight and starts queued ones as others finish', async () => {
    const { loader, calls } = harness({ concurrency: 2 });
    const reqs = ['a', 'b', 'c'].map((p) => loader.request(p, 64));
    expect(calls.map((c) => c.path)).toEqual(['a', 'b']);
    expect(loader.pending).toBe(1);
    calls[0].resolve(new Uint8Array([1]));
    await expect(reqs[0].promise).resolves.toBe('blob:1');
    await tick();
    expect(calls.map((c) => c.path)).toEqual(['a', 'b', 'c']);
  });

  it('shares one fetch between identical requests and serves the cache afterwards', async () => {
    const { loader, calls } = harness();
    const r1 = loader.request('a', 64);
    const r2 = loader.request('a', 64);
    expect(calls).toHaveLength(1);
    calls[0].resolve(new Uint8Array([1]));
    expect(await r1.promise).toBe('blob:1');
    expect(await r2.promise).toBe('blob:1');
    expect(loader.peek('a', 64)).toBe('blob:1');
    expect(loader.peek('a', 128)).toBeUndefined();
    await loader.request('a', 64).promise;
    expect(calls).toHaveLength(1);
  });

  it('drops a queued request once every caller cancelled it', async () => {
    const { loader, calls } = harness({ concurrency: 1 });
    loader.request('a', 64);
    const b = loader.request('b', 64);
    const b2 = loader.request('b', 64);
    b.cancel();
    expect(loader.pending).toBe(1); // b2 still wants it
    b2.cancel();
    expect(loader.pending).toBe(0);
    await expect(b.promise).rejects.toBeInstanceOf(CancelledError);
    calls[0].resolve(new Uint8Array([1]));
    await tick();
    expect(calls.map((c) => c.path)).toEqual(['a']);
  });

  it('revokes URLs it evicts and remembers failures', async () => {
    const { loader, calls, revoked } = harness({ capacity: 2 });
    for (const p of ['a', 'b', 'c']) {
      const r = loader.request(p, 64);
      calls[calls.length - 1].resolve(new Uint8Array([1]));
      await r.promise;
    }
    expect(revoked).toEqual(['blob:1']);
    const bad = loader.request('bad', 64);
    calls[calls.length - 1].reject(new Error('bad.png: corrupt PNG'));
    await expect(bad.promise).rejects.toThrow('corrupt');
    expect(loader.failure('bad', 64)).toBe('bad.png: corrupt PNG');
    await expect(loader.request('bad', 64).promise).rejects.toThrow('corrupt');
    expect(calls.filter((c) => c.path === 'bad')).toHaveLength(1);
  });

  it('clear() revokes everything and ignores answers for the old folder', async () => {
    const { loader, calls, revoked } = harness({ concurrency: 1 });
    const a = loader.request('a', 64);
    calls[0].resolve(new Uint8Array([1]));
    await a.promise;
    const b = loader.request('b', 64); // in flight
    const c = loader.request('c', 64); // queued
    loader.clear();
    expect(revoked).toEqual(['blob:1']);
    await expect(c.promise).rejects.toBeInstanceOf(CancelledError);
    calls[1].resolve(new Uint8Array([2]));
    await expect(b.promise).rejects.toBeInstanceOf(CancelledError);
    expect(loader.peek('b', 64)).toBeUndefined();
    expect(loader.active).toBe(0);
  });
});
