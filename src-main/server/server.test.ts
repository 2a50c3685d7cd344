// Server mode's security contract, checked over real HTTP and WebSocket connections.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeMessage, encodeMessage } from '../common/wire.ts';
import { ConvscopeService } from '../core/service/service.ts';
import { startServer, type RunningServer } from './server.ts';

let tmp: string;
let server: RunningServer;
let service: ConvscopeService;

function get(urlPath: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    // Raw path on purpose: fetch/URL would normalise the '..' tricks away before they reach the server.
    const req = request({ host: '127.0.0.1', port: server.port, path: urlPath, headers: { host: `127.0.0.1:${server.port}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

const auth = () => ({ cookie: `convscope_token=${server.token}` });

function ws(headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/api`, { headers });
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    socket.once('error', reject);
  });
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-server-'));
  const renderer = path.join(tmp, 'renderer');
  mkdirSync(renderer);
  writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>convscope</title>');
  writeFileSync(path.join(tmp, 'secret.txt'), 'do not serve');
  symlinkSync(path.join(tmp, 'secret.txt'), path.join(renderer, 'link-out.txt'));
  service = new ConvscopeService({ shell: 'server', provider: 'cpu' });
  server = await startServer({ service, rendererDir: renderer, port: 0 });
});

afterAll(async () => {
  await server.close();
  await service.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('server mode security', () => {
  it('binds 127.0.0.1 and prints a URL carrying the token', () => {
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/\\?token=`));
    expect(server.token.length).toBeGreaterThanOrEqual(24);
  });

  it('refuses requests without the token, or with a wrong one', async () => {
    expect((await get('/')).status).toBe(401);
    expect((await get('/index.html', { cookie: 'convscope_token=wrong' })).status).toBe(401);
    expect((await get('/?token=wrong')).status).toBe(401);
  });

  it('trades the URL token for a strict cookie, then serves the renderer with a CSP', async () => {
    const first = await get(`/?token=${server.token}`);
    expect(first.status).toBe(302);
    expect(String(first.headers['set-cookie'])).toMatch(/convscope_token=.*HttpOnly.*SameSite=Strict/);
    const page = await get('/', auth());
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>convscope</title>');
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
    expect((await get('/', { authorization: `Bearer ${server.token}` })).status).toBe(200);
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    expect((await get('/', { ...auth(), host: 'evil.example:80' })).status).toBe(403);
  });

  it('serves nothing outside the renderer build: .. tricks and symlinks out are 403', async () => {
    expect((await get('/../secret.txt', auth())).status).toBe(403);
    expect((await get('/%2e%2e/secret.txt', auth())).status).toBe(403);
    expect((await get('/..%2fsecret.txt', auth())).status).toBe(403);
    expect((await get('/link-out.txt', auth())).status).toBe(403);
    expect((await get('/missing.js', auth())).status).toBe(404);
  });

  it('serves /files only from folders the user opened', async () => {
    expect((await get(`/files${path.join(tmp, 'secret.txt')}`, auth())).status).toBe(403);
    expect((await get('/files/etc/passwd', auth())).status).toBe(403);
  });

  it('requires the token on the WebSocket and answers calls with envelopes', async () => {
    await expect(ws({})).rejects.toThrow(/401/);
    await expect(ws({ cookie: 'convscope_token=nope' })).rejects.toThrow(/401/);
    await expect(ws({ ...auth(), origin: 'http://evil.example' })).rejects.toThrow(/401/);
    const socket = await ws(auth());
    const reply = (id: number) =>
      new Promise<Record<string, unknown>>((resolve) => {
        socket.on('message', (data: Buffer) => {
          const msg = decodeMessage(new Uint8Array(data)) as Record<string, unknown>;
          if (msg.id === id) resolve(msg);
        });
      });
    const r1 = reply(1);
    socket.send(encodeMessage({ id: 1, method: 'getState', arg: {} }));
    expect(await r1).toMatchObject({ id: 1, ok: true, value: { shell: 'server', model: null, folder: null } });
    const r2 = reply(2);
    socket.send(encodeMessage({ id: 2, method: 'openModel', arg: { path: 42 } }));
    expect(await r2).toMatchObject({ id: 2, ok: false, error: { code: 'BAD_REQUEST' } });
    const r3 = reply(3);
    socket.send(encodeMessage({ id: 3, method: 'rm -rf', arg: {} }));
    expect(await r3).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
    const r4 = reply(4);
    socket.send(encodeMessage({ id: 4, method: 'predict', arg: { path: 'a.png' } }));
    expect(await r4).toMatchObject({ ok: false, error: { code: 'NO_MODEL' } });
    socket.close();
  });
});
