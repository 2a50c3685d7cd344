import { crc32 as zlibCrc32 } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { crc32, readTextChunks, withTextChunks } from './png-text.ts';

async function smallPng(): Promise<Uint8Array> {
  const raw = Buffer.alloc(5 * 4 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 37) % 256;
  return new Uint8Array(await sharp(raw, { raw: { width: 5, height: 4, channels: 3 } }).png().toBuffer());
}

/** Every chunk's CRC, checked with zlib's CRC-32 (an independent implementation). */
function chunkCrcsValid(png: Uint8Array): boolean {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  for (let at = 8; at < png.length; ) {
    const len = view.getUint32(at);
    if (zlibCrc32(png.subarray(at + 4, at + 8 + len)) !== view.getUint32(at + 8 + len)) return false;
    at += 12 + len;
  }
  return true;
}

function chunkTypes(png: Uint8Array): string[] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const types: string[] = [];
  for (let at = 8; at < png.length; at += 12 + view.getUint32(at)) types.push(Buffer.from(png.subarray(at + 4, at + 8)).toString('latin1'));
  return types;
}

describe('png text chunks', () => {
  it('crc32 agrees with zlib', () => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) % 256);
    expect(crc32(bytes)).toBe(zlibCrc32(bytes));
    expect(crc32(new Uint8Array())).toBe(zlibCrc32(new Uint8Array()));
  });

  it('inserts Title and Description that read back, with valid CRCs, and the image unchanged', async () => {
    const png = await smallPng();
    const entries = { Title: 'Occlusion of cats/img00.png', Description: 'model zf.onnx · layer relu5\nd(θ) = ‖φ(x)‖₂ — 2026-11-29 04:00 UTC' };
    const out = withTextChunks(png, entries);
    expect(out.length).toBeGreaterThan(png.length);
    expect(chunkCrcsValid(out)).toBe(true);
    expect(readTextChunks(out)).toEqual(entries);
    // Latin-1 text ('·' included) goes in tEXt, which every reader shows; the rest in iTXt (UTF-8).
    expect(chunkTypes(out)).toEqual(['IHDR', 'tEXt', 'iTXt', ...chunkTypes(png).slice(1)]);
    const a = await sharp(png).raw().toBuffer();
    const b = await sharp(out).raw().toBuffer();
    expect(Buffer.compare(a, b)).toBe(0);
  });

  it('refuses bytes that are not a PNG', () => {
    expect(() => withTextChunks(new Uint8Array(40), { Title: 'x' })).toThrow(/not a PNG/);
  });
});
