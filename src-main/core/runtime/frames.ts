// Framing for the runtime process's pipe. A message is any structured-cloneable value (Maps, bigints
// and protobuf messages included); its typed arrays travel out of band as raw bytes, so a 10 MB
// tensor is written straight from its own buffer and read into one buffer that its view then shares:
// no serialise-copy on the way out, no deserialise-copy on the way in (Node's 'advanced' IPC did both,
// and measured twice the round trip and three times the event-loop stall of this for 10–40 MB).
//
// Frame: u32 frame length (LE, excluding these 4 bytes) | u32 header length | v8 header | pad to 8 |
// blobs, each padded to 8. The header is v8.serialize([value with blobs replaced, blob table]).
import { deserialize, serialize } from 'node:v8';

type Typed = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;
const KINDS = {
  u8: Uint8Array, i8: Int8Array, u16: Uint16Array, i16: Int16Array, u32: Uint32Array, i32: Int32Array,
  f32: Float32Array, f64: Float64Array, i64: BigInt64Array, u64: BigUint64Array,
} as const;
type Kind = keyof typeof KINDS;
const KIND_OF = new Map<unknown, Kind>(Object.entries(KINDS).map(([k, c]) => [c, k as Kind]));

/** Marks where a blob was in the value; a key no real message uses. */
const BLOB = '\u0000convscope-blob';
/** Below this a blob rides inside the header: a separate write costs more than the copy. */
const INLINE_MAX = 4096;
/** A frame larger than this is refused: no legitimate tensor batch comes near it. */
export const MAX_FRAME = 2 ** 32 - 1;

const pad8 = (n: number) => (n + 7) & ~7;

function kindOf(v: unknown): Kind | undefined {
  return ArrayBuffer.isView(v) ? KIND_OF.get(v.constructor) : undefined;
}

function extract(value: unknown, blobs: Typed[]): unknown {
  if (value === null || typeof value !== 'object') return value;
  const kind = kindOf(value);
  if (kind) {
    const t = value as Typed;
    if (t.byteLength < INLINE_MAX) return value;
    blobs.push(t);
    return { [BLOB]: blobs.length - 1 };
  }
  if (Array.isArray(value)) return value.map((v) => extract(v, blobs));
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, extract(v, blobs)]));
  if (value instanceof Error || value instanceof Date || value instanceof Set || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = extract(v, blobs);
  return out;
}

function restore(value: unknown, blobs: Typed[]): unknown {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = restore(value[i], blobs);
    return value;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) value.set(k, restore(v, blobs));
    return value;
  }
  const rec = value as Record<string, unknown>;
  if (typeof rec[BLOB] === 'number') {
    const b = blobs[rec[BLOB]];
    if (!b) throw new Error('frame refers to a missing blob');
    return b;
  }
  for (const k of Object.keys(rec)) rec[k] = restore(rec[k], blobs);
  return rec;
}

/** The buffers to write, in order, for one message; blob buffers are the caller's own (not copied). */
export function encodeFrame(message: unknown): Buffer[] {
  const blobs: Typed[] = [];
  const value = extract(message, blobs);
  const table = blobs.map((b) => [kindOf(b)!, b.length] as const);
  const header = serialize([value, table]);
  const headEnd = pad8(8 + header.length);
  let total = headEnd;
  for (const b of blobs) total += pad8(b.byteLength);
  if (total - 4 > MAX_FRAME) throw new RangeError(`message of ${total} bytes is too large for one frame`);
  const head = Buffer.alloc(headEnd);
  head.writeUInt32LE(total - 4, 0);
  head.writeUInt32LE(header.length, 4);
  header.copy(head, 8);
  const parts: Buffer[] = [head];
  for (const b of blobs) {
    parts.push(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    const pad = pad8(b.byteLength) - b.byteLength;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  return parts;
}

/** Decodes one whole frame (with its 4-byte length prefix). Blob views share `frame`'s memory when aligned. */
export function decodeFrame(frame: Buffer): unknown {
  const headerLength = frame.readUInt32LE(4);
  if (8 + headerLength > frame.length) throw new Error('frame header is truncated');
  const [value, table] = deserialize(frame.subarray(8, 8 + headerLength)) as [unknown, [Kind, number][]];
  if (!Array.isArray(table)) throw new Error('frame has no blob table');
  let at = pad8(8 + headerLength);
  const blobs: Typed[] = table.map(([kind, length]) => {
    const Ctor = KINDS[kind];
    if (!Ctor || !Number.isInteger(length) || length < 0) throw new Error('frame has a bad blob entry');
    const bytes = length * Ctor.BYTES_PER_ELEMENT;
    if (at + bytes > frame.length) throw new Error('frame blob is truncated');
    const offset = frame.byteOffset + at;
    const blob =
      offset % Ctor.BYTES_PER_ELEMENT === 0
        ? new Ctor(frame.buffer as ArrayBuffer, offset, length)
        : new Ctor(new Uint8Array(frame.subarray(at, at + bytes)).buffer);
    at += pad8(bytes);
    return blob as Typed;
  });
  return restore(value, blobs);
}

/**
 * Reassembles frames from a byte stream. Once a frame's length is known its buffer is allocated and
 * each chunk is copied in as it arrives, so a large frame costs many small copies spread over the
 * event loop rather than one long concatenation at the end.
 */
export class FrameReader {
  private head = Buffer.alloc(0);
  private frame: Buffer | null = null;
  private filled = 0;

  constructor(private readonly onMessage: (message: unknown) => void) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (!this.frame) {
        const need = 4 - this.head.length;
        const take = Math.min(need, chunk.length - at);
        this.head = Buffer.concat([this.head, chunk.subarray(at, at + take)]);
        at += take;
        if (this.head.length < 4) return;
        const length = this.head.readUInt32LE(0);
        if (length < 4) throw new Error(`bad frame length ${length}`);
        this.frame = Buffer.allocUnsafeSlow(length + 4);
        this.head.copy(this.frame, 0);
        this.filled = 4;
        this.head = Buffer.alloc(0);
      }
      const take = Math.min(this.frame.length - this.filled, chunk.length - at);
      chunk.copy(this.frame, this.filled, at, at + take);
      this.filled += take;
      at += take;
      if (this.filled === this.frame.length) {
        const done = this.frame;
        this.frame = null;
        this.filled = 0;
        this.onMessage(decodeFrame(done));
      }
    }
  }
}
