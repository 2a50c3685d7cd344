// Text in a PNG's own metadata: an exported figure carries its title and caption, so a file found
// later says what it shows, and tests can read it. Latin-1 text goes in tEXt chunks, which every
// reader shows; text with other characters (θ, ‖, ₂ in captions) in iTXt, which holds UTF-8.

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 as PNG (and zlib) define it. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const isLatin1 = (text: string) => [...text].every((ch) => ch.codePointAt(0)! > 0 && ch.codePointAt(0)! <= 0xff);
const latin1 = (text: string) => Uint8Array.from([...text], (ch) => ch.codePointAt(0)!);

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  const typed = out.subarray(4, 8 + data.length);
  typed.set(latin1(type), 0);
  typed.set(data, 4);
  view.setUint32(8 + data.length, crc32(typed));
  return out;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * `png` with one text chunk per entry (keyword → text, e.g. Title, Description) inserted after
 * IHDR: tEXt where the text is Latin-1, iTXt (UTF-8) otherwise. Keywords are 1–79 printable ASCII.
 */
export function withTextChunks(png: Uint8Array, entries: Readonly<Record<string, string>>): Uint8Array {
  if (png.length < 33 || SIGNATURE.some((b, i) => png[i] !== b)) throw new Error('not a PNG: the figure could not be given its caption');
  const ihdrEnd = 8 + 12 + new DataView(png.buffer, png.byteOffset + 8, 4).getUint32(0);
  const chunks = Object.entries(entries).map(([key, text]) => {
    if (!/^[\x20-\x7e]{1,79}$/.test(key)) throw new Error(`PNG text keyword "${key}" is not 1–79 printable characters`);
    const k = latin1(key);
    if (isLatin1(text)) return chunk('tEXt', concat(k, [0], latin1(text)));
    // keyword, 0, compression flag 0, method 0, empty language tag, 0, empty translated keyword, 0, text.
    return chunk('iTXt', concat(k, [0, 0, 0, 0, 0], new TextEncoder().encode(text)));
  });
  return concat(png.subarray(0, ihdrEnd), ...chunks, png.subarray(ihdrEnd));
}

function concat(...parts: ArrayLike<number>[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The tEXt and iTXt entries of a PNG (keyword → text), read back. */
export function readTextChunks(png: Uint8Array): Record<string, string> {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: Record<string, string> = {};
  const ascii = (b: Uint8Array) => Array.from(b, (c) => String.fromCharCode(c)).join('');
  for (let at = 8; at + 12 <= png.length; ) {
    const len = view.getUint32(at);
    const type = ascii(png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + len);
    const zero = data.indexOf(0);
    if (type === 'tEXt') out[ascii(data.subarray(0, zero))] = ascii(data.subarray(zero + 1));
    if (type === 'iTXt' && data[zero + 1] === 0) {
      // Skip the flags and the two null-terminated fields (language tag, translated keyword).
      let p = zero + 3;
      p = data.indexOf(0, p) + 1;
      p = data.indexOf(0, p) + 1;
      out[ascii(data.subarray(0, zero))] = new TextDecoder().decode(data.subarray(p));
    }
    if (type === 'IEND') break;
    at += 12 + len;
  }
  return out;
}
