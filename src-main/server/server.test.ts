// Server mode's security contract, checked over real HTTP and WebSocket connections.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type ConvscopeService } from '../core/service/service.ts';
import { cookieName } from './auth.ts';
import { startServer, type RunningServer } from './server.ts';
import { call, get, openApi } from './testing.ts';

const demoModel = fileURLToPath(new URL('../../resources/models/zf-mini/zf-mini.onnx', import.meta.url));

let tmp: string;
let images: string;
let server: RunningServer;
let service: ConvscopeService;
let pageCookie: string;
const logged: string[] = [];

const getA = (urlPath: string, headers: Record<string, string> = {}) => get(server.port, urlPath, headers);
const cookie = () => ({ cookie: pageCookie });
const bearer = () => ({ authorization: `Bearer ${server.token}` });

/** The `name=value` part of the port-named cookie a tokened page load sets. */
async function cookieOf(s: RunningServer): Promise<string> {
  const first = await get(s.port, `/?token=${s.token}`);
  const set = String(first.headers['set-cookie']);
  const m = set.match(new RegExp(`(${cookieName(s.port)}=[^;]+)`));
  if (!m) throw new Error(`no ${cookieName(s.port)} cookie in ${set}`);
  return m[1];
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-server-'));
  const renderer = path.join(tmp, 'renderer');
  mkdirSync(renderer);
  writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>convscope</title>');
  writeFileSync(path.join(tmp, 'secret.txt'), 'do not serve');
  symlinkSync(path.join(tmp, 'secret.txt'), path.join(renderer, 'link-out.txt'));

  // An image folder with things beside the images that must never be served.
  images = path.join(tmp, 'images');
  mkdirSync(path.join(images, 'cat'), { recursive: true });
  mkdirSync(path.join(images, '.ssh'));
  await sharp({ create: { width: 12, height: 8, channels: 3, background: { r: 200, g: 30, b: 30 } } }).jpeg().toFile(path.join(images, 'cat', 'a b.jpg'));
  await sharp({ create: { width: 5, height: 5, channels: 3, background: { r: 0, g: 0, b: 255 } } }).png().toFile(path.join(images, 'b.png'));
  writeFileSync(path.join(images, '.ssh', 'id_rsa'), '-----BEGIN OPENSSH PRIVATE KEY-----');
  writeFileSync(path.join(images, 'notes.txt'), 'not an image');
  writeFileSync(path.join(images, 'cat', 'page.html'), '<script>/* drives the API */</script>');
  // An HTML page that claims to be an image: listed by its extension, but it must never reach a browser.
  writeFileSync(path.join(images, 'evil.png'), '<!doctype html><script>alert(1)</script>');
  copyFileSync(demoModel, path.join(images, 'model.onnx'));

  service = createService({ shell: 'server', provider: 'cpu' });
  server = await startServer({ service, rendererDir: renderer, port: 0, log: (l) => logged.push(l) });
  pageCookie = await cookieOf(server);
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
    expect(server.listening).toBe(true);
  });

  it('refuses requests without the token, or with a wrong one', async () => {
    expect((await getA('/')).status).toBe(401);
    expect((await getA('/index.html', { cookie: `${cookieName(server.port)}=wrong` })).status).toBe(401);
    expect((await getA('/?token=wrong')).status).toBe(401);
    // A wrong explicit token is refused even beside a valid cookie.
    expect((await getA('/?token=wrong', cookie())).status).toBe(401);
    // The cookie's old name (not bound to a port) opens nothing.
    expect((await getA('/', { cookie: `convscope_token=${server.token}` })).status).toBe(401);
  });

  it('serves the page for the tokened URL (no redirect) with a port-named strict cookie that is not the token', async () => {
    const first = await getA(`/?token=${server.token}`);
    expect(first.status).toBe(200);
    expect(first.text).toContain('<title>convscope</title>');
    const set = String(first.headers['set-cookie']);
    expect(set).toMatch(new RegExp(`^${cookieName(server.port)}=[A-Za-z0-9_-]{24,}; HttpOnly; SameSite=Strict; Path=/$`));
    expect(set).not.toContain(server.token);
    expect(cookieName(server.port)).toBe(`convscope_page_${server.port}`);

    const page = await getA('/', cookie());
    expect(page.status).toBe(200);
    expect(page.text).toContain('<title>convscope</title>');
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
    expect(page.headers['set-cookie']).toBeUndefined();
    expect((await getA('/', bearer())).status).toBe(200);
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    expect((await getA('/', { ...cookie(), host: 'evil.example:80' })).status).toBe(403);
    expect((await getA(`/?token=${server.token}`, { host: `evil.example:${server.port}` })).status).toBe(403);
  });

  it('serves nothing outside the renderer build: .. tricks, NUL bytes and symlinks out are 403', async () => {
    expect((await getA('/../secret.txt', cookie())).status).toBe(403);
    expect((await getA('/%2e%2e/secret.txt', cookie())).status).toBe(403);
    expect((await getA('/..%2fsecret.txt', cookie())).status).toBe(403);
    expect((await getA('/..%5csecret.txt', cookie())).status).toBe(403);
    expect((await getA('/index.html%00.js', cookie())).status).toBe(403);
    expect((await getA('/link-out.txt', cookie())).status).toBe(403);
    expect((await getA('/missing.js', cookie())).status).toBe(404);
    expect((await getA('/%E0%A4%A', cookie())).status).toBe(400);
  });

  it('opens the API only with the token sent explicitly: never with the cookie alone', async () => {
    await expect(openApi(server.port)).rejects.toThrow(/401/);
    await expect(openApi(server.port, { headers: cookie() })).rejects.toThrow(/401/);
    await expect(openApi(server.port, { query: '?token=nope', headers: cookie() })).rejects.toThrow(/401/);
    // A malformed cookie is just a missing one.
    await expect(openApi(server.port, { headers: { cookie: `${cookieName(server.port)}=%E0%A4%A` } })).rejects.toThrow(/401/);
    await expect(openApi(server.port, { query: `?token=${server.token}`, headers: { origin: 'http://evil.example' } })).rejects.toThrow(/403/);
    await expect(openApi(server.port, { query: `?token=${server.token}`, headers: { origin: 'http://127.0.0.1:1' } })).rejects.toThrow(/403/);
    const viaBearer = await openApi(server.port, { headers: bearer() });
    viaBearer.close();
    const socket = await openApi(server.port, { query: `?token=${server.token}`, headers: { origin: `http://127.0.0.1:${server.port}` } });
    try {
      expect(await call(socket, 1, 'getState', {})).toMatchObject({ id: 1, ok: true, value: { shell: 'server', model: null, folder: null } });
      expect(await call(socket, 2, 'openModel', { path: 42 })).toMatchObject({ id: 2, ok: false, error: { code: 'BAD_REQUEST' } });
      expect(await call(socket, 3, 'rm -rf', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
      expect(await call(socket, 4, 'predict', { path: 'a.png' })).toMatchObject({ ok: false, error: { code: 'NO_MODEL' } });
      // Not a string: answered, never thrown (String() of this object would throw).
      expect(await call(socket, 5, { toString: 1 }, {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
    } finally {
      socket.close();
    }
  });

  it('keeps two instances on two ports apart in one browser: separate cookies, neither opens the other', async () => {
    const other = await startServer({ service, rendererDir: path.join(tmp, 'renderer'), port: 0, log: (l) => logged.push(l) });
    try {
      const otherCookie = await cookieOf(other);
      expect(cookieName(other.port)).not.toBe(cookieName(server.port));
      expect(otherCookie.split('=')[0]).toBe(cookieName(other.port));
      // Cookies ignore ports: the browser sends both cookies to both servers. Each reads its own.
      const both = { cookie: `${pageCookie}; ${otherCookie}` };
      expect((await get(server.port, '/', both)).status).toBe(200);
      expect((await get(other.port, '/', both)).status).toBe(200);
      expect((await get(server.port, '/', { cookie: otherCookie })).status).toBe(401);
      expect((await get(other.port, '/', { cookie: pageCookie })).status).toBe(401);
      // Nor does one's cookie value under the other's name.
      expect((await get(server.port, '/', { cookie: `${cookieName(server.port)}=${otherCookie.split('=')[1]}` })).status).toBe(401);
      await expect(openApi(server.port, { query: `?token=${other.token}` })).rejects.toThrow(/401/);
      await expect(openApi(other.port, { headers: both })).rejects.toThrow(/401/);
      const a = await openApi(server.port, { query: `?token=${server.token}` });
      const b = await openApi(other.port, { query: `?token=${other.token}` });
      expect(await call(a, 1, 'getState', {})).toMatchObject({ ok: true });
      expect(await call(b, 1, 'getState', {})).toMatchObject({ ok: true });
      a.close();
      b.close();
    } finally {
      await other.close();
    }
  });
});

describe('/files: images of the open folder only, re-encoded as PNG', () => {
  beforeAll(async () => {
    await service.openFolder({ path: images });
    await service.openModel({ path: path.join(images, 'model.onnx') });
  });

  const files = (rel: string, headers: Record<string, string> = bearer()) => getA(`/files/${rel}`, headers);

  it('serves a listed image as a sandboxed, nosniff PNG decoded from the original', async () => {
    for (const [rel, size] of [['cat/a%20b.jpg', [12, 8]], ['b.png', [5, 5]]] as const) {
      const r = await files(rel);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('image/png');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
      const meta = await sharp(r.body).metadata();
      expect(meta.format).toBe('png');
      expect([meta.width, meta.height]).toEqual(size);
    }
    expect((await getA(`/files/b.png?token=${server.token}`)).status).toBe(200);
  });

  it('needs the token sent explicitly: the cookie alone, or no token, is 401', async () => {
    expect((await files('b.png', {})).status).toBe(401);
    expect((await files('b.png', cookie())).status).toBe(401);
    expect((await getA('/files/b.png?token=wrong')).status).toBe(401);
  });

  it('refuses everything that is not a listed image: other files, HTML, the model, paths outside', async () => {
    const refused = [
      'notes.txt',
      '.ssh/id_rsa',
      'cat/page.html',
      'model.onnx',
      'model.convscope.json',
      encodeURIComponent(path.join(images, 'b.png')),
      path.join(images, 'b.png').slice(1),
      '..%2fsecret.txt',
      '%2e%2e/secret.txt',
      'cat/..%2f.ssh%2fid_rsa',
      'b.png%00',
      '',
    ];
    for (const rel of refused) {
      const r = await files(rel);
      expect([403, 404], rel).toContain(r.status);
      expect(r.headers['content-type'], rel).toMatch(/^text\/plain/);
      expect(r.text, rel).not.toContain('PRIVATE KEY');
    }
    // Listed by its extension but not an image: fails to decode, and its bytes are never sent.
    const fake = await files('evil.png');
    expect(fake.status).toBe(422);
    expect(fake.text).not.toContain('<script>');
  });
});
