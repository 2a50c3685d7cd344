// Headless mode: the built renderer and the same API as the desktop shell, over HTTP + WebSocket on
// 127.0.0.1 only. Every request needs the per-run token.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeMessage, encodeMessage } from '../common/wire.ts';
import { createDispatcher } from '../core/service/dispatcher.ts';
import type { ConvscopeService } from '../core/service/service.ts';
import { COOKIE, hostAllowed, isAuthorized, newToken, originAllowed } from './auth.ts';
import { serveFile } from './static.ts';

export interface ServerOptions {
  service: ConvscopeService;
  rendererDir: string;
  port?: number;
  token?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

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

function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
  res.end(text + '\n');
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const token = opts.token ?? newToken();
  const dispatch = createDispatcher(opts.service);
  const sockets = new Set<WebSocket>();
  let port = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const headers = headersFor(port);
    if (!hostAllowed(req, port)) return plain(res, 403, 'forbidden host', headers);
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (!isAuthorized(req, url, token)) return plain(res, 401, 'unauthorized: open the URL with the token that convscope printed', headers);
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'method not allowed', headers);
    // URL parsing would silently fold '..' away; a request that tries it is refused outright.
    let rawPath: string;
    try {
      rawPath = decodeURIComponent((req.url ?? '/').split('?')[0]);
    } catch {
      return plain(res, 400, 'bad path', headers);
    }
    if (rawPath.split(/[\\/]/).includes('..')) return plain(res, 403, 'forbidden', headers);
    if (url.searchParams.has('token')) {
      // Trade the token in the URL for a cookie and drop it from the address bar.
      res.writeHead(302, {
        ...headers,
        'set-cookie': `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
        location: url.pathname === '/' ? '/' : url.pathname,
      });
      return void res.end();
    }
    let rel: string;
    try {
      rel = decodeURIComponent(url.pathname);
    } catch {
      return plain(res, 400, 'bad path', headers);
    }
    let result;
    if (rel.startsWith('/files/')) {
      const abs = path.resolve('/' + rel.slice('/files/'.length));
      const root = opts.service.roots().find((r) => abs === r || abs.startsWith(r + path.sep));
      if (!root || rel.split('/').includes('..')) return plain(res, 403, 'forbidden: not inside a folder you opened', headers);
      result = await serveFile(res, root, path.relative(root, abs), headers);
    } else {
      result = await serveFile(res, opts.rendererDir, rel === '/' ? 'index.html' : rel.slice(1), headers);
    }
    if (result === 'forbidden') return plain(res, 403, 'forbidden', headers);
    if (result === 'not-found') return plain(res, 404, 'not found', headers);
  }

  const http = createServer((req, res) => {
    handle(req, res).catch((e: Error) => {
      if (!res.headersSent) plain(res, 500, `internal error: ${e.message}`);
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 256 * 1024 * 1024 });
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (!hostAllowed(req, port) || !originAllowed(req, port) || url.pathname !== '/api' || !isAuthorized(req, url, token)) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', (data, isBinary) => {
        if (!isBinary) return ws.close(1003, 'binary frames only');
        const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
        let msg: { id?: unknown; method?: unknown; arg?: unknown };
        try {
          msg = decodeMessage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as typeof msg;
        } catch (e) {
          return ws.close(1007, `malformed message: ${(e as Error).message}`.slice(0, 120));
        }
        if (typeof msg.id !== 'number') return ws.close(1007, 'message without id');
        void dispatch(msg.method, msg.arg).then((envelope) => {
          if (ws.readyState === ws.OPEN) ws.send(encodeMessage({ id: msg.id, ...envelope }));
        });
      });
    });
  });

  const unsubscribe = opts.service.on((event, payload) => {
    const frame = encodeMessage({ event, payload });
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(frame);
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = http.address();
  port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    async close() {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
