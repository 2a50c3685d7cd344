// Hostile clients: malformed HTTP, broken WebSocket frames and malformed messages, sent over raw TCP
// sockets. Each may end its own connection (with the right status or close code, logged in one
// line), never the server: after every case a fresh authenticated getState must still succeed.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage } from '../common/wire.ts';
import { createService, type ConvscopeService } from '../core/service/service.ts';
import { MAX_MESSAGE_BYTES, startServer, type RunningServer } from './server.ts';
import { getStateWorks } from './testing.ts';
import { seededRandom } from '../core/onnx/index.ts';

let tmp: string;
let server: RunningServer;
let service: ConvscopeService;
const logged: string[] = [];

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-fuzz-'));
  mkdirSync(path.join(tmp, 'renderer'));
  writeFileSync(path.join(tmp, 'renderer', 'index.html'), '<!doctype html><title>convscope</title>');
  service = createService({ shell: 'server', provider: 'cpu' });
  server = await startServer({ service, rendererDir: path.join(tmp, 'renderer'), port: 0, log: (l) => logged.push(l) });
});

afterAll(async () => {
  await server.close();
  await service.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** mulberry32 (the test models' generator): the same cases on every run. */
const prng = seededRandom;

function randomBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

interface FrameOptions {
  fin?: boolean;
  rsv1?: boolean;
  mask?: boolean;
  /** A payload length to declare instead of the real one. */
  declared?: number;
}

/** A WebSocket frame built by hand (RFC 6455 §5.2), masked as a client's must be unless told not to. */
function frame(opcode: number, payload: Buffer | Uint8Array, o: FrameOptions = {}): Buffer {
  const len = o.declared ?? payload.length;
  const mask = o.mask ?? true;
  const head: number[] = [((o.fin ?? true) ? 0x80 : 0) | (o.rsv1 ? 0x40 : 0) | opcode];
  const m = mask ? 0x80 : 0;
  if (len < 126) head.push(m | len);
  else if (len < 65536) head.push(m | 126, len >> 8, len & 255);
  else {
    head.push(m | 127);
    const big = Buffer.alloc(8);
    big.writeBigUInt64BE(BigInt(len));
    head.push(...big);
  }
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const body = Buffer.from(payload);
  if (mask) for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
  return Buffer.concat([Buffer.from(head), mask ? key : Buffer.alloc(0), body]);
}

function upgradeRequest(target: string, extra = ''): string {
  return (
    `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`
  );
}

interface Outcome {
  /** The HTTP status the server answered with (101 for an accepted upgrade), or 0 for none. */
  status: number;
  /** The close code of the server's close frame, when it sent one. */
  closeCode: number | null;
}

/**
 * Sends `request`; after a 101, sends `frames`. Resolves once the server has ended the connection
 * (answering a close frame as a client would). `end` half-closes right after writing, for inputs
 * the server may wait on forever (a frame announcing more bytes than follow).
 */
function exchange(request: string | Buffer, frames: Buffer[] = [], end = false, timeoutMs = 5000): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(server.port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let status = 0;
    let closeCode: number | null = null;
    let headersDone = false;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`the server did not end the connection within ${timeoutMs} ms (status ${status})`));
    }, timeoutMs);
    const parseFrames = () => {
      // Server frames are unmasked; we only need to find a close frame.
      while (buf.length >= 2) {
        const opcode = buf[0] & 0x0f;
        let len = buf[1] & 0x7f;
        let at = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          at = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          at = 10;
        }
        if (buf.length < at + len) return;
        if (opcode === 8) {
          closeCode = len >= 2 ? buf.readUInt16BE(at) : 1005;
          sock.end();
        }
        buf = buf.subarray(at + len);
      }
    };
    sock.on('connect', () => sock.write(request));
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (!headersDone) {
        const endOfHeaders = buf.indexOf('\r\n\r\n');
        if (endOfHeaders < 0) return;
        headersDone = true;
        status = Number(/^HTTP\/1\.1 (\d{3})/.exec(buf.subarray(0, endOfHeaders).toString('latin1'))?.[1] ?? 0);
        buf = buf.subarray(endOfHeaders + 4);
        if (status === 101) {
          for (const f of frames) sock.write(f);
          if (end) sock.end();
        } else {
          // Any other answer carries no body we need (Content-Length: 0 or plain text).
          buf = Buffer.alloc(0);
        }
      }
      if (status === 101) parseFrames();
      else buf = Buffer.alloc(0);
    });
    sock.on('error', () => {}); // a reset is one way for the server to end it
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ status, closeCode });
    });
    if (end && frames.length === 0) sock.on('connect', () => sock.end());
  });
}

const api = () => upgradeRequest(`/api?token=${server.token}`);

async function expectAlive(): Promise<void> {
  expect(server.listening).toBe(true);
  expect(await getStateWorks(server.port, server.token)).toBe(true);
}

const bin = (message: unknown) => frame(2, encodeMessage(message));
const lengthPrefixed = (header: string) => {
  const h = Buffer.from(header);
  const out = Buffer.alloc(4 + h.length);
  out.writeUInt32LE(h.length, 0);
  h.copy(out, 4);
  return frame(2, out);
};

describe('server mode survives hostile clients', () => {
  it('sizes maxPayload to the largest legitimate request, far below the old 256 MB', () => {
    expect(MAX_MESSAGE_BYTES).toBe(32 * 1024 * 1024);
  });

  const httpCases: [string, number, () => string][] = [
    // Used to throw in `new URL(req.url)` before any auth and end the process.
    ['an upgrade to //[', 404, () => upgradeRequest('//[')],
    ['an upgrade to //[ with the token', 404, () => upgradeRequest(`//[?token=${server.token}`)],
    ['a plain GET //[', 401, () => `GET //[ HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`],
    ['an upgrade with a bad percent-encoding', 400, () => upgradeRequest(`/api%E0%A4%A?token=${server.token}`)],
    ['a GET with a bad percent-encoding', 400, () => `GET /%E0%A4%A HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`],
    // decodeURIComponent on the cookie used to throw here.
    ['an upgrade with a malformed cookie', 401, () => upgradeRequest('/api', 'Cookie: convscope_token=%E0%A4%A\r\n')],
    ['an upgrade with an absolute-form target', 400, () => upgradeRequest(`http://127.0.0.1:${server.port}/api?token=${server.token}`)],
    ['an upgrade without Sec-WebSocket-Key', 400, () => api().replace(/Sec-WebSocket-Key: [^\r]*\r\n/, '')],
    ['an upgrade to another path', 404, () => upgradeRequest(`/apix?token=${server.token}`)],
    ['GET *', 400, () => `GET * HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`],
    ['a request line of garbage', 400, () => 'GARBAGE\r\n\r\n'],
    ['a NUL in the request line', 400, () => `GET /\0 HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`],
    ['an oversized header', 431, () => `GET / HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`],
  ];

  it.each(httpCases)('HTTP: %s → %i, and the server keeps serving', async (_name, expected, request) => {
    const before = logged.length;
    const out = await exchange(request());
    expect(out.status).toBe(expected);
    expect(logged.length - before).toBeLessThanOrEqual(1);
    await expectAlive();
  });

  const violations: [string, number, () => Buffer[]][] = [
    ['RSV1 set without an extension', 1002, () => [frame(2, encodeMessage({ id: 1, method: 'getState', arg: {} }), { rsv1: true })]],
    ['an unmasked client frame', 1002, () => [frame(2, encodeMessage({ id: 1, method: 'getState', arg: {} }), { mask: false })]],
    ['opcode 3 (reserved)', 1002, () => [frame(3, Buffer.from('x'))]],
    ['a text frame that is not UTF-8', 1007, () => [frame(1, Buffer.from([0xff, 0xfe, 0xfd]))]],
    ['close code 999', 1002, () => [frame(8, Buffer.from([0x03, 0xe7]))]],
    ['a 200-byte ping', 1002, () => [frame(9, Buffer.alloc(200, 7))]],
    ['a fragmented ping', 1002, () => [frame(9, Buffer.from('p'), { fin: false })]],
    ['a continuation with no message', 1002, () => [frame(0, Buffer.from('x'))]],
    ['a declared length of 300 MB', 1009, () => [frame(2, Buffer.alloc(16), { declared: 300 * 1024 * 1024 })]],
    ['fragments adding up past the limit', 1009, () => [frame(2, Buffer.alloc(16), { fin: false }), frame(0, Buffer.alloc(16), { declared: MAX_MESSAGE_BYTES })]],
    ['a text frame (the API is binary)', 1003, () => [frame(1, Buffer.from('{"id":1,"method":"getState"}'))]],
    ['a message whose header is null', 1007, () => [bin(null)]],
    ['a header whose id is a string', 1007, () => [bin({ id: '1', method: 'getState', arg: {} })]],
    ['a header without an id', 1007, () => [bin({ method: 'getState', arg: {} })]],
    ['a header whose id is not an integer', 1007, () => [bin({ id: 1.5, method: 'getState', arg: {} })]],
    ['a header that is an array', 1007, () => [bin([1, 'getState'])]],
    ['a header that is a number', 1007, () => [bin(7)]],
    ['a header that is not JSON', 1007, () => [lengthPrefixed('{"id":1,')]],
    ['a truncated message', 1007, () => [frame(2, encodeMessage({ id: 1, method: 'getState', arg: {} }).subarray(0, 12))]],
    ['a message shorter than its length prefix', 1007, () => [frame(2, Buffer.from([1, 2]))]],
    ['an empty message', 1007, () => [frame(2, Buffer.alloc(0))]],
    ['a binary reference past the end', 1007, () => [lengthPrefixed('{"id":1,"method":"getState","arg":{"$bin":0,"kind":"f32","length":1000000000}}')]],
    ['a binary reference of an unknown kind', 1007, () => [lengthPrefixed('{"id":1,"method":"getState","arg":{"$bin":0,"kind":"constructor","length":0}}')]],
    ['deeply nested JSON', 1007, () => [lengthPrefixed('['.repeat(200_000) + ']'.repeat(200_000))]],
  ];

  it.each(violations)('WebSocket: %s closes that connection only (close %i), logged in one line', async (_name, code, frames) => {
    const before = logged.length;
    const out = await exchange(api(), frames());
    expect(out.status).toBe(101);
    expect(out.closeCode).toBe(code);
    expect(logged.length - before).toBe(1);
    expect(logged.at(-1)).not.toContain('\n');
    await expectAlive();
  });

  it('answers a well-formed request on the raw socket (the harness itself is sound)', async () => {
    const out = await exchange(api(), [bin({ id: 1, method: 'getState', arg: {} }), frame(8, Buffer.from([0x03, 0xe8]))]);
    expect(out).toEqual({ status: 101, closeCode: 1000 });
  });

  it('survives 300 random frames after a valid handshake (seeded)', async () => {
    const rand = prng(20240611);
    for (let i = 0; i < 300; i++) {
      let bytes: Buffer;
      const kind = i % 3;
      if (kind === 0) {
        // Pure noise.
        bytes = randomBytes(rand, 1 + Math.floor(rand() * 64));
      } else if (kind === 1) {
        // A frame header with random bits and a random payload: reaches deeper into the parser.
        const b0 = Math.floor(rand() * 256);
        bytes = frame(b0 & 0x0f, randomBytes(rand, Math.floor(rand() * 200)), { fin: (b0 & 0x80) !== 0, rsv1: (b0 & 0x40) !== 0, mask: rand() < 0.9 });
      } else {
        // A well-framed binary message with a random body: exercises the wire decoder.
        const body = randomBytes(rand, 4 + Math.floor(rand() * 120));
        if (rand() < 0.5) body.writeUInt32LE(Math.floor(rand() * body.length), 0);
        bytes = frame(2, body);
      }
      const before = logged.length;
      await exchange(api(), [bytes], true);
      expect(logged.length - before, `case ${i}`).toBeLessThanOrEqual(1);
      await expectAlive();
    }
  }, 120_000);

  it('survives 300 random HTTP request lines, as requests and as upgrades (seeded)', async () => {
    const rand = prng(7);
    const methods = ['GET', 'HEAD', 'POST', 'OPTIONS', 'CONNECT', 'G\0T', 'get', ''];
    for (let i = 0; i < 300; i++) {
      const method = methods[Math.floor(rand() * methods.length)];
      const targetBytes = randomBytes(rand, Math.floor(rand() * 40));
      // Often start the target with '/' so it reaches the server's own parsing, not only Node's.
      if (rand() < 0.6 && targetBytes.length) targetBytes[0] = 0x2f;
      const target = targetBytes.toString('latin1');
      const version = rand() < 0.8 ? 'HTTP/1.1' : randomBytes(rand, 8).toString('latin1');
      const head = `${method} ${target} ${version}\r\nHost: 127.0.0.1:${server.port}\r\n`;
      const request = rand() < 0.5
        ? `${head}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`
        : `${head}\r\n`;
      const before = logged.length;
      await exchange(Buffer.from(request, 'latin1'), [], true);
      expect(logged.length - before, `case ${i}: ${JSON.stringify(request.slice(0, 80))}`).toBeLessThanOrEqual(1);
      await expectAlive();
    }
  }, 120_000);
});
