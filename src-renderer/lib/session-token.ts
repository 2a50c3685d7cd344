// Server mode's per-run token, held by the page. It arrives once, in the URL convscope printed
// (`?token=`), moves into sessionStorage (scoped to this origin, so to this port, and to this tab) and
// leaves the address bar, so it is not bookmarked, shared or left in the history. The WebSocket sends
// it explicitly: the server's cookie reaches every local server (cookies ignore ports), so it opens
// only the public renderer build, never the API. The desktop shell needs none of this.

export const TOKEN_KEY = 'convscope_token';

export interface TokenHost {
  location: { href: string };
  history: { state: unknown; replaceState(data: unknown, unused: string, url?: string): void };
  /** A getter, because merely reading `sessionStorage` throws where site data is blocked. */
  storage(): Pick<Storage, 'getItem' | 'setItem'>;
}

/** Moves `?token=` from the address bar into the tab's storage; returns the token this tab holds. */
export function takeToken(host: TokenHost): string | null {
  const url = new URL(host.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl !== null) {
    url.searchParams.delete('token');
    host.history.replaceState(host.history.state, '', url.pathname + url.search + url.hash);
  }
  try {
    const storage = host.storage();
    if (fromUrl) storage.setItem(TOKEN_KEY, fromUrl);
    return fromUrl || storage.getItem(TOKEN_KEY);
  } catch {
    // No storage: the token still serves this page load; a reload needs the printed URL again.
    return fromUrl || null;
  }
}

/** The WebSocket endpoint of the server that served this page, carrying the token. */
export function apiUrl(location: { protocol: string; host: string }, token: string | null): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}/api` + (token ? `?token=${encodeURIComponent(token)}` : '');
}

let held: string | null | undefined;

/** This page's token (taken from the URL on first use). */
export function pageToken(): string | null {
  held ??= takeToken({ location, history, storage: () => sessionStorage });
  return held;
}
