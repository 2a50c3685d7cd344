import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageError } from './errors.ts';
import { ThumbnailCache, encodePng } from './thumbnails.ts';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'convscope-thumbs-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function image(name: string, width: number, height: number, colour = '#3366cc', fmt: 'png' | 'jpeg' = 'png'): Promise<string> {
  const file = path.join(tmp, name);
  await sharp({ create: { width, height, channels: 3, background: colour } })[fmt]().toFile(file);
  return file;
}

async function pngInfo(bytes: Uint8Array): Promise<{ format?: string; width?: number; height?: number }> {
  const m = await sharp(bytes).metadata();
  return { format: m.format, width: m.width, height: m.height };
}

describe('ThumbnailCache', () => {
  it('returns a PNG fitting in size×size with the aspect kept, never enlarged', async () => {
    const cache = new ThumbnailCache({});
    const wide = await image('wide.jpg', 400, 100, '#ff0000', 'jpeg');
    const thumb = await cache.get(wide, 64);
    expect(thumb).toBeInstanceOf(Uint8Array);
    expect(await pngInfo(thumb)).toEqual({ format: 'png', width: 64, height: 16 });
    const tiny = await image('tiny.png', 28, 28);
    expect(await pngInfo(await cache.get(tiny, 96))).toEqual({ format: 'png', width: 28, height: 28 });
  });

  it('applies EXIF orientation', async () => {
    const file = path.join(tmp, 'rotated.jpg');
    await sharp({ create: { width: 40, height: 20, channels: 3, background: '#888' } }).jpeg().withMetadata({ orientation: 6 }).toFile(file);
    expect(await pngInfo(await new ThumbnailCache({}).get(file, 100))).toMatchObject({ width: 20, height: 40 });
  });

  it('is an LRU keyed by path and size', async () => {
    const cache = new ThumbnailCache({ maxEntries: 2 });
    const [a, b, c] = await Promise.all(['a.png', 'b.png', 'c.png'].map((f) => image(f, 50, 50)));
    const first = await cache.get(a, 32);
    await cache.get(b, 32);
    expect(await cache.get(a, 32)).toBe(first); // hit: a is now the most recent
    await cache.get(c, 32); // evicts b
    expect(cache.stats).toMatchObject({ hits: 1, misses: 3, entries: 2 });
    await cache.get(a, 32);
    expect(cache.stats.hits).toBe(2);
    await cache.get(b, 32);
    expect(cache.stats.misses).toBe(4);
    await cache.get(b, 16); // another size is another entry
    expect(cache.stats.misses).toBe(5);
  });

  it('makes a new thumbnail when the file changes', async () => {
    const cache = new ThumbnailCache({});
    const file = await image('changing.png', 100, 50);
    expect(await pngInfo(await cache.get(file, 40))).toMatchObject({ width: 40, height: 20 });
    await sharp({ create: { width: 50, height: 100, channels: 3, background: '#000' } }).png().toFile(file);
    const later = new Date(Date.now() + 5000);
    await utimes(file, later, later);
    expect(await pngInfo(await cache.get(file, 40))).toMatchObject({ width: 20, height: 40 });
  });

  it('limits concurrent decodes and shares one decode between identical requests', async () => {
    const files = await Promise.all(Array.from({ length: 100 }, (_, i) => image(`burst${i}.png`, 120, 90, i % 2 ? '#fff' : '#123')));
    const cache = new ThumbnailCache({ maxEntries: 1000 });
    const thumbs = await Promise.all(files.map((f) => cache.get(f, 48)));
    expect(thumbs).toHaveLength(100);
    expect(cache.stats.peakConcurrent).toBeLessThanOrEqual(4);
    expect(cache.stats.peakConcurrent).toBeGreaterThanOrEqual(2); // a limit, not a serial queue

    const same = await image('same.png', 60, 60);
    const fresh = new ThumbnailCache({ concurrency: 2 });
    const results = await Promise.all(Array.from({ length: 10 }, () => fresh.get(same, 30)));
    expect(new Set(results).size).toBe(1);
    expect(fresh.stats).toMatchObject({ misses: 1, hits: 9 });
  });

  it('a truncated PNG or JPEG says so in plain words, not libvips\' "vips2png: unable to write to target target"', async () => {
    const pixels = Buffer.from(new Uint8Array(96 * 64 * 3).map((_, i) => (i * 7919) % 251));
    const img = () => sharp(pixels, { raw: { width: 96, height: 64, channels: 3 } });
    const cut = async (name: string, bytes: Buffer) => {
      const file = path.join(tmp, name);
      await writeFile(file, bytes.subarray(0, bytes.length >> 1));
      return (await new ThumbnailCache({}).get(file, 32).catch((e: unknown) => e)) as ImageError;
    };
    const png = await cut('cut.png', await img().png().toBuffer());
    expect(png).toMatchObject({ code: 'IMAGE_DECODE_FAILED', message: 'cut.png: the image is truncated or damaged (libpng read error)' });
    expect(png.details?.cause).toMatch(/vips2png: unable to write to target/);
    const jpg = await cut('cut.jpg', await img().jpeg().toBuffer());
    expect(jpg).toMatchObject({ code: 'IMAGE_DECODE_FAILED', message: 'cut.jpg: the image is truncated or damaged (premature end of JPEG image)' });
  });

  it('errors name the file: corrupt, missing', async () => {
    const cache = new ThumbnailCache({});
    const bad = path.join(tmp, 'bad.jpg');
    await writeFile(bad, 'GIF89a but not really');
    const err = await cache.get(bad, 32).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageError);
    expect(err).toMatchObject({ code: 'IMAGE_DECODE_FAILED', file: bad, message: expect.stringMatching(/^bad\.jpg: the image is truncated or damaged \(.+\)$/) });
    const missing = path.join(tmp, 'missing.png');
    await expect(cache.get(missing, 32)).rejects.toMatchObject({ code: 'IMAGE_UNREADABLE', file: missing });
    // A failure is not cached: fixing the file fixes the thumbnail.
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } }).jpeg().toFile(bad);
    const later = new Date(Date.now() + 5000);
    await utimes(bad, later, later);
    expect(await pngInfo(await cache.get(bad, 32))).toMatchObject({ width: 8, height: 8 });
  });

  it('rejects a nonsensical size', async () => {
    await expect(new ThumbnailCache({}).get('/x.png', 0)).rejects.toThrow(RangeError);
  });
});

describe('encodePng', () => {
  it('round-trips gray, gray+alpha, RGB and RGBA pixels, storing gray as gray', async () => {
    for (const channels of [1, 2, 3, 4] as const) {
      const data = Uint8Array.from({ length: 5 * 3 * channels }, (_, i) => (i * 53) % 256);
      const png = await encodePng({ width: 5, height: 3, channels, data });
      expect(Array.from(png.subarray(0, 4))).toEqual([0x89, 0x50, 0x4e, 0x47]);
      expect((await sharp(png).metadata()).channels).toBe(channels);
      // sharp reads everything back as sRGB(A); gray is R, alpha is A.
      const back = await sharp(png).raw().toBuffer({ resolveWithObject: true });
      const pick = channels === 1 ? [0] : channels === 2 ? [0, 3] : channels === 3 ? [0, 1, 2] : [0, 1, 2, 3];
      const got: number[] = [];
      for (let i = 0; i < 15; i++) for (const k of pick) got.push(back.data[i * back.info.channels + k]);
      expect([back.info.width, back.info.height]).toEqual([5, 3]);
      expect(got).toEqual(Array.from(data));
    }
  });

  it('takes a DecodedImage', async () => {
    const png = await encodePng({ width: 2, height: 1, channels: 3, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) });
    expect((await sharp(png).metadata()).width).toBe(2);
  });

  it('rejects data that does not fit the size', async () => {
    await expect(encodePng({ width: 2, height: 2, channels: 3, data: new Uint8Array(11) })).rejects.toThrow(/11 bytes for 2×2×3/);
  });
});
