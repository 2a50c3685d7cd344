// Who may talk to server mode. Two secrets per run:
// - the token, printed in the URL: the only thing that opens the API (WebSocket) and /files. Clients
//   send it explicitly, as `?token=` or `Authorization: Bearer`; the page keeps it in sessionStorage.
// - the page key, a cookie set when the tokened URL is opened: it gates only the static renderer
//   build. Cookies ignore ports, so every other server on 127.0.0.1 receives it; it must therefore
//   open nothing that is not public code, and it is a separate random value, never the token.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Named after the port so two instances in one browser keep separate cookies (cookies ignore ports). */
export function cookieName(port: number): string {
  return `convscope_page_${port}`;
}

export function pageCookie(port: number, key: string): string {
  return `${cookieName(port)}=${key}; HttpOnly; SameSite=Strict; Path=/`;
}

/** Constant time, including in the length: both sides are hashed to 32 bytes first. */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The token a client sent on purpose (query or Bearer header); cookies do not count. */
export function explicitToken(req: IncomingMessage, url: URL): string | null {
  const q = url.searchParams.get('token');
  if (q !== null) return q;
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  return null;
}

/** The value of cookie `name`, taken raw: our values are base64url, and decoding could throw. */
export function readCookie(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** Refuses requests whose Host is not our loopback address (DNS-rebinding defence). */
export function hostAllowed(req: IncomingMessage, port: number): boolean {
  const host = (req.headers.host ?? '').toLowerCase();
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

export function originAllowed(req: IncomingMessage, port: number): boolean {
  const origin = req.headers.origin;
  // Non-browser clients (tests, scripts) send no Origin; browsers always do on WebSocket upgrades.
  if (origin === undefined) return true;
  return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
}
