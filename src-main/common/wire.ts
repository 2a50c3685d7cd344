// Binary-safe message framing for the WebSocket transport: typed arrays travel as raw bytes after a
// JSON header, never as JSON number arrays. Layout: u32 header length (LE) | header JSON (UTF-8) |
// zero padding to a multiple of 8 | each binary blob, each padded to a multiple of 8.

type Typed = Uint8Array | Float32Array | Int32Array | Float64Array | BigInt64Array;
const KINDS = { u8: Uint8Array, f32: Float32Array, i32: Int32Array, f64: Float64Array, i64: BigInt64Array } as const;
type Kind = keyof typeof KINDS;

function kindOf(v: unknown): Kind | null {
  if (v instanceof Float32Array) return 'f32';
  if (v instanceof Uint8Array) return 'u8';
  if (v instanceof Int32Array) return 'i32';
  if (v instanceof Float64Array) return 'f64';
  if (v instanceof BigInt64Array) return 'i64';
  return null;
}

const pad8 = (n: number) => (n + 7) & ~7;

export function encodeMessage(message: unknown): Uint8Array {
  const blobs: Typed[] = [];
  const at: number[] = [];
  let dataSize = 0;
  const header = JSON.stringify(message, (_key, value: unknown) => {
    const kind = kindOf(value);
    if (kind) {
      const blob = value as Typed;
      blobs.push(blob);
      at.push(dataSize);
      const ref = { $bin: dataSize, kind, length: blob.length };
      dataSize += pad8(blob.byteLength);
      return ref;
    }
    return value;
  });
  const headerBytes = new TextEncoder().encode(header);
  const dataStart = pad8(4 + headerBytes.length);
  const out = new Uint8Array(dataStart + dataSize);
  new DataView(out.buffer).setUint32(0, headerBytes.length, true);
  out.set(headerBytes, 4);
  blobs.forEach((b, i) => out.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), dataStart + at[i]));
  return out;
}

export function decodeMessage(bytes: Uint8Array): unknown {
  if (bytes.byteLength < 4) throw new Error('message too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true);
  if (4 + headerLength > bytes.byteLength) throw new Error('message header is truncated');
  const header = new TextDecoder().decode(bytes.subarray(4, 4 + headerLength));
  const dataStart = pad8(4 + headerLength);
  return JSON.parse(header, (_key, value: unknown) => {
    if (value && typeof value === 'object' && '$bin' in value) {
      const { $bin, kind, length } = value as { $bin: number; kind: Kind; length: number };
      const Ctor = Object.prototype.hasOwnProperty.call(KINDS, kind) ? KINDS[kind] : undefined;
      if (!Ctor || !Number.isInteger(length) || length < 0 || !Number.isInteger($bin) || $bin < 0) {
        throw new Error('bad binary reference');
      }
      const start = dataStart + $bin;
      const byteLength = length * Ctor.BYTES_PER_ELEMENT;
      if (start + byteLength > bytes.byteLength) throw new Error('binary part is truncated');
      // Copy so the result is aligned and independent of the frame buffer.
      const copy = new Uint8Array(byteLength);
      copy.set(bytes.subarray(start, start + byteLength));
      return new Ctor(copy.buffer);
    }
    return value;
  });
}
