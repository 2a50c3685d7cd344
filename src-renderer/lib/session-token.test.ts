import { describe, expect, it } from 'vitest';
import { apiUrl, takeToken, TOKEN_KEY, type TokenHost } from './session-token.ts';

function host(href: string, stored: Record<string, string> = {}, storageFails = false) {
  const store = new Map(Object.entries(stored));
  const replaced: string[] = [];
  const h: TokenHost = {
    location: { href },
    history: { state: { keep: 1 }, replaceState: (_d, _u, url) => void replaced.push(url ?? '') },
    storage: () => {
      if (storageFails) throw new Error('SecurityError');
      return { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => void store.set(k, v) };
    },
  };
  return { h, store, replaced };
}

describe('takeToken', () => {
  it('moves the token from the address bar into the tab storage, keeping the rest of the URL', () => {
    const { h, store, replaced } = host('http://127.0.0.1:8080/?a=1&token=T0k&b=2#x');
    expect(takeToken(h)).toBe('T0k');
    expect(store.get(TOKEN_KEY)).toBe('T0k');
    expect(replaced).toEqual(['/?a=1&b=2#x']);
  });

  it('after a reload (no token in the URL) returns the stored one and leaves the address bar alone', () => {
    const { h, replaced } = host('http://127.0.0.1:8080/', { [TOKEN_KEY]: 'kept' });
    expect(takeToken(h)).toBe('kept');
    expect(replaced).toEqual([]);
  });

  it('a new token in the URL replaces the stored one (the server was restarted)', () => {
    const { h, store } = host('http://127.0.0.1:8080/?token=new', { [TOKEN_KEY]: 'old' });
    expect(takeToken(h)).toBe('new');
    expect(store.get(TOKEN_KEY)).toBe('new');
  });

  it('returns null for a tab that never had one', () => {
    expect(takeToken(host('http://127.0.0.1:8080/').h)).toBeNull();
    expect(takeToken(host('http://127.0.0.1:8080/?token=').h)).toBeNull();
  });

  it('without storage, the token still serves this load and still leaves the address bar', () => {
    const { h, replaced } = host('http://127.0.0.1:8080/?token=T', {}, true);
    expect(takeToken(h)).toBe('T');
    expect(replaced).toEqual(['/']);
    expect(takeToken(host('http://127.0.0.1:8080/', {}, true).h)).toBeNull();
  });
});

describe('apiUrl', () => {
  it('points at /api of this origin with the token in the query', () => {
    expect(apiUrl({ protocol: 'http:', host: '127.0.0.1:8080' }, 'a+b/c')).toBe('ws://127.0.0.1:8080/api?token=a%2Bb%2Fc');
    expect(apiUrl({ protocol: 'https:', host: 'x:1' }, null)).toBe('wss://x:1/api');
  });
});
