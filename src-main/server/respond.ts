// Small helpers that never throw: every way of answering or refusing a request goes through them, so
// a malformed request or a client that hung up ends only its own connection.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';

export interface Target {
  /** For the query string only; its pathname is normalised and must not be used for routing. */
  url: URL;
  /** The decoded path exactly as sent (no '..' folding), for routing and the traversal checks. */
  path: string;
}

/** Parses the request target; null when it is not origin-form (`/…`) or does not parse or decode. */
export function parseTarget(req: IncomingMessage, port: number): Target | null {
  const raw = req.url ?? '';
  // Absolute-form, authority-form and '*' targets are not for us; '//host/…' is a path here, not a host.
  if (!raw.startsWith('/')) return null;
  try {
    const url = new URL(`http://127.0.0.1:${port}${raw}`);
    const path = decodeURIComponent(raw.split('?', 1)[0]);
    return { url, path };
  } catch {
    return null;
  }
}

export function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  try {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
    res.end(text + '\n');
  } catch {
    res.destroy();
  }
}

/** Answers a raw socket (an upgrade we refuse, or a request the parser rejected) and closes it. */
export function refuseSocket(socket: Duplex, status: number): void {
  try {
    if (socket.writable) {
      socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    }
  } catch {
    // Nothing more to do for this connection.
  }
  // A client that never reads must not keep the socket open.
  setTimeout(() => socket.destroy(), 1000).unref();
}
