// Headless mode: the built renderer and the same API as the desktop shell, over HTTP + WebSocket on
// 127.0.0.1 only. It runs on shared machines, so every other local process and page is treated as
// hostile: no request or frame may end the process, only its own connection (see auth.ts for tokens).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeMessage } from '../common/wire.ts';
import { createDispatcher } from '../core/service/dispatcher.ts';
import type { ConvscopeService } from '../core/service/service.ts';
import { sendOrDrop, serveApiSocket } from './api-socket.ts';
import { cookieName, explicitToken, hostAllowed, newToken, originAllowed, pageCookie, readCookie, sameSecret } from './auth.ts';
import { FILES_PREFIX, serveImage } from './images-route.ts';
import { brief, rateLimitedLog, type Log } from './log.ts';
import { parseTarget, plain, refuseSocket } from './respond.ts';
import { serveFile } from './static.ts';

export interface ServerOptions {
  service: ConvscopeService;
  rendererDir: string;
  port?: number;
  token?: string;
  /** Where refused requests and broken connections are reported, one line each (default: stderr, rate-limited). */
  log?: Log;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  /** The HTTP server still accepts connections. */
  readonly listening: boolean;
  close(): Promise<void>;
}

/**
 * No call takes a binary tensor: every argument is JSON (common/schemas*.ts). The largest one a
 * client can legitimately send is `shiftConsistency.paths`, up to 100,000 folder-relative image
 * paths: at ~330 bytes per JSON-encoded path that is 32 MiB, about ten times what ImageNet-style
 * paths (`n01440764/n01440764_10026.JPEG`, 35 bytes) need. The next largest, a `savePreprocessing`
 * with ImageNet-21k's 21,843 labels, is about 1 MB. A larger frame is refused (close 1009) before it
 * is buffered.
 */
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

const UNAUTHORIZED = 'unauthorized: open the URL with the token that convscope printed';

function headersFor(port: number): Record<string, string> {
  return {
    'content-security-policy':
      `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; ` +
      `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}; object-src 'none'; base-uri 'none'; ` +
      `frame-ancestors 'none'; form-action 'none'`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    'cross-origin-opener-policy': 'same-origin',
  };
}

function peerOf(req: IncomingMessage): string {
  return `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const token = opts.token ?? newToken();
  // Gates only the public renderer build; never the token (see auth.ts).
  const pageKey = newToken();
  const log = opts.log ?? rateLimitedLog((line) => console.error(line));
  const dispatch = createDispatcher(opts.service);
  const sockets = new Set<WebSocket>();
  let port = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const headers = headersFor(port);
    const target = parseTarget(req, port);
    if (!target) {
      log(`${peerOf(req)}: refused a malformed request target`);
      return plain(res, 400, 'bad request target', headers);
    }
    if (!hostAllowed(req, port)) return plain(res, 403, 'forbidden host', headers);
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'method not allowed', headers);
    const given = explicitToken(req, target.url);
    if (given !== null && !sameSecret(given, token)) return plain(res, 401, UNAUTHORIZED, headers);
    const withToken = given !== null;
    // The path as sent: URL parsing would silently fold '..' away, so a request that tries it is refused.
    const rel = target.path;
    if (rel.includes('\0') || rel.split(/[\\/]/).includes('..')) return plain(res, 403, 'forbidden', headers);

    if (rel.startsWith(FILES_PREFIX)) {
      if (!withToken) return plain(res, 401, 'unauthorized: /files needs the token (?token= or a Bearer header)', headers);
      const r = await serveImage(res, opts.service, rel.slice(FILES_PREFIX.length), req.method === 'HEAD');
      if (r.served) return;
      if (r.status === 500) log(`${peerOf(req)}: /files failed`);
      return plain(res, r.status, r.text, headers);
    }

    const cookie = readCookie(req, cookieName(port));
    if (!withToken && (cookie === null || !sameSecret(cookie, pageKey))) return plain(res, 401, UNAUTHORIZED, headers);
    // The tokened URL gets the page itself, not a redirect: the renderer moves the token from the
    // address bar into sessionStorage. The cookie lets later loads of the (public) build through.
    const pageHeaders = withToken ? { ...headers, 'set-cookie': pageCookie(port, pageKey) } : headers;
    const result = await serveFile(res, opts.rendererDir, rel === '/' ? 'index.html' : rel.slice(1), pageHeaders);
    if (result === 'forbidden') return plain(res, 403, 'forbidden', headers);
    if (result === 'not-found') return plain(res, 404, 'not found', headers);
  }

  const http = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      log(`${peerOf(req)}: request failed: ${brief(e)}`);
      plain(res, 500, 'internal error', headersFor(port));
    });
  });

  // Requests the HTTP parser rejects (bad request line, header overflow…): answer this socket, nothing else.
  http.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return void socket.destroy();
    log(`refused a malformed request: ${brief(err)}`);
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    if ((socket as Socket & { _httpMessage?: ServerResponse })._httpMessage?.headersSent) return void socket.destroy();
    refuseSocket(socket, status);
  });

  // perMessageDeflate stays off: inflating client frames would let a small frame cost a lot of memory.
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false });

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const target = parseTarget(req, port);
    if (!target) {
      log(`${peerOf(req)}: refused an upgrade with a malformed request target`);
      return refuseSocket(socket, 400);
    }
    if (!hostAllowed(req, port) || !originAllowed(req, port)) return refuseSocket(socket, 403);
    if (target.path !== '/api') return refuseSocket(socket, 404);
    // The API takes the token only when sent on purpose: the cookie reaches every local server.
    const given = explicitToken(req, target.url);
    if (given === null || !sameSecret(given, token)) return refuseSocket(socket, 401);
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      serveApiSocket(ws, dispatch, log, peerOf(req));
    });
  }

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node hands the socket over with no 'error' listener; a reset would otherwise end the process.
    socket.on('error', () => socket.destroy());
    try {
      upgrade(req, socket, head);
    } catch (e) {
      log(`${peerOf(req)}: upgrade failed: ${brief(e)}`);
      refuseSocket(socket, 500);
    }
  });

  const unsubscribe = opts.service.on((event, payload) => {
    let frame: Uint8Array;
    try {
      frame = encodeMessage({ event, payload });
    } catch (e) {
      return log(`event ${event} could not be encoded: ${brief(e)}`);
    }
    for (const ws of sockets) {
      if (ws.readyState === ws.OPEN) sendOrDrop(ws, frame, () => log(`an API connection was closed (1008): its events were not being read`));
    }
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 0, '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  });
  http.on('error', (e) => log(`server error: ${brief(e)}`));
  const address = http.address();
  port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    get listening() {
      return http.listening;
    },
    async close() {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await closed;
    },
  };
}
