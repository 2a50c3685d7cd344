// One API connection: binary frames in the wire format (common/wire.ts), each a request
// { id, method, arg } answered by { id, ...envelope }. Anything that breaks the WebSocket protocol or
// the message format closes this connection only, with the matching close code, logged in one line.
import type { RawData, WebSocket } from 'ws';
import type { Envelope } from '../common/errors.ts';
import { decodeMessage, encodeMessage } from '../common/wire.ts';
import type { Dispatch } from '../core/service/dispatcher.ts';
import { brief, type Log } from './log.ts';

export interface ApiRequest {
  id: number;
  /** Not a string when the client sent none; answered with an error envelope. */
  method: unknown;
  arg: unknown;
}

/** A decoded message is a request only when it is a plain object with an integer id. */
export function asRequest(msg: unknown): ApiRequest | null {
  if (msg === null || typeof msg !== 'object' || Object.getPrototypeOf(msg) !== Object.prototype) return null;
  const { id, method, arg } = msg as Record<string, unknown>;
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) return null;
  return { id, method, arg };
}

/**
 * Replies queued for a client that does not read them are held in memory; past this the connection is
 * closed rather than let one stalled (or hostile) client grow the server without bound.
 */
export const MAX_UNREAD_BYTES = 256 * 2 ** 20;

/** Sends unless the peer has stopped reading; then closes it (1008). */
export function sendOrDrop(ws: WebSocket, frame: Uint8Array, onDrop: () => void, limit = MAX_UNREAD_BYTES): void {
  if (ws.bufferedAmount + frame.byteLength > limit) {
    onDrop();
    closeQuietly(ws, 1008, 'replies are not being read');
    return;
  }
  // The callback takes a failed write (the peer went away); the 'close' event does the rest.
  ws.send(frame, () => {});
}

function bytesOf(data: RawData): Uint8Array {
  const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Close reasons are fixed ASCII: ws throws on a reason over 123 bytes, so nothing client-made goes in. */
function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    ws.terminate();
  }
}

export function serveApiSocket(ws: WebSocket, dispatch: Dispatch, log: Log, peer: string): void {
  // Frames keep arriving while the connection closes; only its first problem is worth a line.
  let reported = false;
  const report = (line: string) => {
    if (reported) return;
    reported = true;
    log(`${peer}: ${line}`);
  };
  const refuse = (code: number, reason: string, detail: string) => {
    report(`API connection closed (${code}): ${detail}`);
    closeQuietly(ws, code, reason);
  };

  const reply = (id: number, envelope: Envelope<unknown>) => {
    if (ws.readyState !== ws.OPEN) return;
    let frame: Uint8Array;
    try {
      frame = encodeMessage({ id, ...envelope });
    } catch (e) {
      log(`${peer}: a result could not be encoded: ${brief(e)}`);
      frame = encodeMessage({ id, ok: false, error: { code: 'INTERNAL', message: 'the result could not be encoded' } });
    }
    sendOrDrop(ws, frame, () => report(`API connection closed (1008): over ${MAX_UNREAD_BYTES / 2 ** 20} MB of replies left unread`));
  };

  // ws closes the connection itself (1002, 1007, 1009…) after reporting a protocol violation here;
  // without this listener the error would be thrown and end the process.
  ws.on('error', (e) => report(`API connection closed: ${brief(e)}`));

  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (ws.readyState !== ws.OPEN) return;
    try {
      if (!isBinary) return refuse(1003, 'binary frames only', 'text frame');
      let msg: unknown;
      try {
        msg = decodeMessage(bytesOf(data));
      } catch (e) {
        return refuse(1007, 'malformed message', brief(e));
      }
      const request = asRequest(msg);
      if (!request) return refuse(1007, 'a message must be an object with an integer id', 'message without an integer id');
      const { id, method, arg } = request;
      if (typeof method !== 'string') {
        return reply(id, { ok: false, error: { code: 'UNKNOWN_METHOD', message: 'the call names no method' } });
      }
      dispatch(method, arg).then(
        (envelope) => reply(id, envelope),
        (e: unknown) => {
          log(`${peer}: call ${JSON.stringify(method.slice(0, 60))} failed outside its envelope: ${brief(e)}`);
          reply(id, { ok: false, error: { code: 'INTERNAL', message: 'internal error' } });
        },
      ).catch((e: unknown) => log(`${peer}: a reply could not be sent: ${brief(e)}`));
    } catch (e) {
      refuse(1011, 'internal error', brief(e));
    }
  });
}
