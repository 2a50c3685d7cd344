// Test helpers for server mode: plain HTTP requests with raw paths, and API calls over a real
// WebSocket in the wire format.
import { request } from 'node:http';
import WebSocket from 'ws';
import { decodeMessage, encodeMessage } from '../common/wire.ts';

export interface Reply {
  status: number;
  body: Buffer;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A GET with the path sent as is: fetch/URL would normalise '..' tricks before they reach the server. */
export function get(port: number, urlPath: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: urlPath, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, body, text: body.toString(), headers: res.headers });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens /api; rejects with `HTTP <status>` when the upgrade is refused. */
export function openApi(port: number, opts: { query?: string; headers?: Record<string, string> } = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/api${opts.query ?? ''}`, { headers: opts.headers ?? {} });
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => {
      reject(new Error(`HTTP ${res.statusCode}`));
      res.resume();
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

/** Sends one request and resolves with its reply (events and other replies are skipped). */
export function call(socket: WebSocket, id: number, method: unknown, arg: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: Buffer) => {
      const msg = decodeMessage(new Uint8Array(data)) as Record<string, unknown>;
      if (msg.id !== id) return;
      socket.off('message', onMessage);
      resolve(msg);
    };
    socket.on('message', onMessage);
    socket.once('close', (code) => reject(new Error(`closed with ${code} before the reply`)));
    socket.send(encodeMessage({ id, method, arg }));
  });
}

/** A fresh authenticated connection answers getState: the server is alive and serving. */
export async function getStateWorks(port: number, token: string): Promise<boolean> {
  const socket = await openApi(port, { query: `?token=${token}` });
  try {
    const r = await call(socket, 1, 'getState', {});
    return r.ok === true;
  } finally {
    socket.close();
  }
}
