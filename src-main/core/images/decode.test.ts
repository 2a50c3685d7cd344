import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from './decode.ts';
import { ImageError } from './errors.ts';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'convscope-decode-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A 4×3 RGB image with a distinct colour per pixel. */
function pattern(): Uint8Array {
  const data = new Uint8Array(3 * 4 * 3);
  for (let i = 0; i < 12; i++) data.set([i * 20, 255 - i * 20, (i * 77) % 256], i * 3);
  return data;
}

async function save(name: string, s: Sharp): Promise<string> {
  const file = path.join(tmp, name);
  await s.toFile(file);
  return file;
}

const raw = (data: Uint8Array | Uint16Array, width: number, height: number, channels: 1 | 2 | 3 | 4) => sharp(data, { raw: { width, height, channels } });

describe('decodeImage', () => {
  it('decodes lossless formats exactly (PNG, lossless WebP, TIFF)', async () => {
    const data = pattern();
    for (const [name, s] of [
      ['p.png', raw(data, 4, 3, 3).png()],
      ['p.webp', raw(data, 4, 3, 3).webp({ lossless: true })],
      ['p.tif', raw(data, 4, 3, 3).tiff({ compression: 'lzw' })], // sharp's default TIFF compression is JPEG
    ] as const) {
      const img = await decodeImage(await save(name, s), { channels: 3 });
      expect({ name, w: img.width, h: img.height, c: img.channels }).toEqual({ name, w: 4, h: 3, c: 3 });
      expect(Array.from(img.data)).toEqual(Array.from(data));
    }
  });

  it('decodes lossy and other formats this sharp build reads (JPEG, GIF, AVIF)', async () => {
    const flat = raw(new Uint8Array(16 * 16 * 3).fill(200), 16, 16, 3);
    for (const [name, s] of [
      ['f.jpg', flat.clone().jpeg({ quality: 95 })],
      ['f.gif', flat.clone().gif()],
      ['f.avif', flat.clone().avif({ quality: 90 })],
    ] as const) {
      const img = await decodeImage(await save(name, s), { channels: 3 });
      expect([img.width, img.height, img.channels]).toEqual([16, 16, 3]);
      for (const v of img.data) expect(Math.abs(v - 200)).toBeLessThanOrEqual(3);
    }
  });

  it('gray from colour is sharp\'s linear-light Rec. 709 luminance; colour from gray replicates', async () => {
    const rgb = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 128, 128, 128]);
    const file = await save('rgb.png', raw(rgb, 4, 1, 3).png());
    const gray = await decodeImage(file, { channels: 1 });
    expect(gray.channels).toBe(1);
    expect(Array.from(gray.data)).toEqual([127, 220, 76, 128]);

    const g = await save('gray.png', raw(Uint8Array.from([0, 50, 255]), 3, 1, 1).png());
    const colour = await decodeImage(g, { channels: 3 });
    expect(Array.from(colour.data)).toEqual([0, 0, 0, 50, 50, 50, 255, 255, 255]);
    expect(Array.from((await decodeImage(g, { channels: 1 })).data)).toEqual([0, 50, 255]);
  });

  it('flattens alpha onto black', async () => {
    // transparent red, opaque red, half-transparent white
    const rgba = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 255, 255, 255, 255, 128]);
    const img = await decodeImage(await save('alpha.png', raw(rgba, 3, 1, 4).png()), { channels: 3 });
    expect(img.channels).toBe(3);
    expect(Array.from(img.data.subarray(0, 6))).toEqual([0, 0, 0, 255, 0, 0]);
    for (const v of img.data.subarray(6)) expect(Math.abs(v - 128)).toBeLessThanOrEqual(1);
  });

  it('reduces 16-bit images to 8 bits', async () => {
    const g16 = Uint16Array.from([0, 65535, 32896, 1028]); // 8-bit 0, 255, 128, 4
    const gray = await decodeImage(await save('g16.png', raw(g16, 2, 2, 1).toColourspace('grey16').png()), { channels: 1 });
    expect(Array.from(gray.data)).toEqual([0, 255, 128, 4]);
    const c16 = Uint16Array.from([65535, 0, 0, 0, 65535, 0, 0, 0, 65535, 32896, 32896, 32896]);
    const rgb = await decodeImage(await save('c16.png', raw(c16, 2, 2, 3).toColourspace('rgb16').png()), { channels: 3 });
    expect(Array.from(rgb.data)).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, 128, 128, 128]);
  });

  it('applies the EXIF orientation', async () => {
    // Stored 4 wide × 2 high, left half black and right half white; orientation 6 = rotate 90° clockwise,
    // so it shows 2 wide × 4 high with black on top.
    const stored = new Uint8Array(2 * 4 * 3);
    for (let y = 0; y < 2; y++) for (let x = 2; x < 4; x++) stored.fill(255, (y * 4 + x) * 3, (y * 4 + x) * 3 + 3);
    const file = await save('exif.jpg', raw(stored, 4, 2, 3).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }));
    const img = await decodeImage(file, { channels: 1 });
    expect([img.width, img.height]).toEqual([2, 4]);
    const rows = [0, 1, 2, 3].map((y) => (img.data[y * 2] + img.data[y * 2 + 1]) / 2);
    expect(rows[0]).toBeLessThan(60);
    expect(rows[3]).toBeGreaterThan(195);
  });

  it('IMAGE_DECODE_FAILED naming the file for a truncated PNG, a text file named .png and an empty file', async () => {
    const png = await raw(new Uint8Array(64 * 64 * 3).map((_, i) => (i * 131) % 251), 64, 64, 3).png().toBuffer();
    const truncated = path.join(tmp, 'truncated.png');
    await writeFile(truncated, png.subarray(0, png.length >> 1));
    const text = path.join(tmp, 'notes.png');
    await writeFile(text, 'these are my notes, not a picture\n');
    const empty = path.join(tmp, 'empty.png');
    await writeFile(empty, '');
    const said: string[] = [];
    for (const file of [truncated, text, empty]) {
      const err = await decodeImage(file, { channels: 3 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImageError);
      expect(err).toMatchObject({ code: 'IMAGE_DECODE_FAILED', file });
      said.push((err as Error).message);
    }
    expect(said).toEqual([
      'truncated.png: the image is truncated or damaged (libpng read error)',
      'notes.png: not an image, or in a format Convscope cannot read',
      'empty.png: the file is empty',
    ]);
  });

  it('IMAGE_UNREADABLE for a missing file and for a folder', async () => {
    const missing = path.join(tmp, 'gone.png');
    await expect(decodeImage(missing, { channels: 3 })).rejects.toMatchObject({ code: 'IMAGE_UNREADABLE', file: missing, message: 'gone.png could not be read: file not found' });
    const dir = path.join(tmp, 'dir.png');
    await mkdir(dir);
    await expect(decodeImage(dir, { channels: 3 })).rejects.toMatchObject({ code: 'IMAGE_UNREADABLE', message: 'dir.png could not be read: it is a folder' });
  });

  it('IMAGE_TOO_LARGE for a decompression bomb, before decoding it', async () => {
    // A real 1-bit PNG of 10,240 × 10,240 (105 MP) zeros: ~13 KB on disk, gigabytes once decoded to RGB.
    const side = 10_240;
    const bomb = path.join(tmp, 'bomb.png');
    await writeFile(bomb, onebitPng(side, side));
    const meta = await sharp(await readFile(bomb), { limitInputPixels: false }).metadata();
    expect([meta.width, meta.height]).toEqual([side, side]); // it is a valid PNG
    const t0 = performance.now();
    const err = await decodeImage(bomb, { channels: 3 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'IMAGE_TOO_LARGE', file: bomb });
    expect((err as Error).message).toMatch(/^bomb\.png is too large to decode/);
    expect(performance.now() - t0).toBeLessThan(2000);

    // The limit is a parameter: a small one rejects an ordinary image.
    const small = await save('small.png', raw(new Uint8Array(10 * 10 * 3), 10, 10, 3).png());
    await expect(decodeImage(small, { channels: 3, maxPixels: 99 })).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE' });
  });
});

/** A minimal valid PNG, 1-bit grayscale, all zeros. */
function onebitPng(width: number, height: number): Buffer {
  const crcTable = new Int32Array(256).map((_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c;
  });
  const crc = (b: Buffer) => {
    let c = -1;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ -1) >>> 0;
  };
  const chunk = (type: string, body: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    const tb = Buffer.concat([Buffer.from(type, 'latin1'), body]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(tb));
    return Buffer.concat([len, tb, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([1, 0, 0, 0, 0], 8); // bit depth 1, grayscale, deflate, filter 0, no interlace
  const rows = Buffer.alloc((1 + Math.ceil(width / 8)) * height); // filter byte 0 + zero pixels per row
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
