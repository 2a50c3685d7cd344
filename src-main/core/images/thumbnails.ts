// Thumbnails for folder views, and PNG encoding of pixel buffers for the renderer.
import { readFile, stat } from 'node:fs/promises';
import sharp from 'sharp';
import { sharpError, sharpInputOptions, unreadableError } from './decode.ts';

export interface ThumbnailStats {
  hits: number;
  misses: number;
  entries: number;
  /** Most decodes that ever ran at once (bounded by `concurrency`). */
  peakConcurrent: number;
}

/**
 * PNG thumbnails fitting in size×size, aspect kept. Images are never enlarged: a 28×28 digit
 * stays 28×28 and the view scales it with `image-rendering: pixelated`, which is sharper and
 * cheaper than resampling here.
 *
 * An in-memory LRU keyed by path + mtime + file size + size, so an edited file gets a fresh
 * thumbnail. Decodes are limited to `concurrency` at a time (a folder view asks for a hundred at
 * once, and each decode of a photo holds tens of MB), and concurrent requests for the same key
 * share one decode.
 */
export class ThumbnailCache {
  private readonly maxEntries: number;
  private readonly concurrency: number;
  private readonly cache = new Map<string, Uint8Array>();
  private readonly inFlight = new Map<string, Promise<Uint8Array>>();
  private readonly queue: Array<() => void> = [];
  private active = 0;
  private readonly counters: ThumbnailStats = { hits: 0, misses: 0, entries: 0, peakConcurrent: 0 };

  constructor(opts: { maxEntries?: number; concurrency?: number } = {}) {
    this.maxEntries = Math.max(1, opts.maxEntries ?? 500);
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
  }

  async get(file: string, size: number): Promise<Uint8Array> {
    if (!Number.isInteger(size) || size < 1 || size > 4096) throw new RangeError(`thumbnail size must be an integer in 1..4096, got ${size}`);
    let key: string;
    try {
      const s = await stat(file);
      key = `${file}\0${s.mtimeMs}\0${s.size}\0${size}`;
    } catch (err) {
      throw unreadableError(err, file);
    }
    const hit = this.cache.get(key);
    if (hit) {
      this.counters.hits++;
      // Re-insert: Map keeps insertion order, so the first key is always the least recently used.
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const pending = this.inFlight.get(key);
    if (pending) {
      this.counters.hits++;
      return pending;
    }
    this.counters.misses++;
    const job = this.limited(() => makeThumbnail(file, size)).then(
      (png) => {
        this.inFlight.delete(key);
        this.remember(key, png);
        return png;
      },
      (err: unknown) => {
        this.inFlight.delete(key);
        throw err;
      },
    );
    this.inFlight.set(key, job);
    return job;
  }

  get stats(): ThumbnailStats {
    return { ...this.counters, entries: this.cache.size };
  }

  clear(): void {
    this.cache.clear();
  }

  private remember(key: string, png: Uint8Array): void {
    this.cache.set(key, png);
    while (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
  }

  private async limited<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) await new Promise<void>((resolve) => this.queue.push(resolve));
    // A released slot is handed over directly (active stays counted), so no newcomer can jump the queue.
    else this.active++;
    this.counters.peakConcurrent = Math.max(this.counters.peakConcurrent, this.active);
    try {
      return await work();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    }
  }
}

async function makeThumbnail(file: string, size: number): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw unreadableError(err, file);
  }
  try {
    const png = await sharp(bytes, sharpInputOptions())
      .autoOrient()
      .resize(size, size, { fit: 'inside', withoutEnlargement: true })
      // 16-bit and CMYK sources become 8-bit sRGB; alpha is kept, the view shows it.
      .toColourspace('srgb')
      .png({ compressionLevel: 4 })
      .toBuffer();
    return asUint8Array(png);
  } catch (err) {
    throw sharpError(err, file);
  }
}

/**
 * PNG bytes of a raw HWC 8-bit buffer (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA channels): decoded
 * images, heatmaps, projections on their way to the renderer.
 */
export async function encodePng(img: { width: number; height: number; channels: number; data: Uint8Array | Uint8ClampedArray }): Promise<Uint8Array> {
  const { width, height, channels, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new RangeError(`encodePng: bad size ${width}×${height}`);
  if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4) throw new RangeError(`encodePng: channels must be 1 to 4, got ${channels}`);
  if (data.length !== width * height * channels) throw new RangeError(`encodePng: ${data.length} bytes for ${width}×${height}×${channels}`);
  let s = sharp(data, { raw: { width, height, channels } });
  // sharp would store 1- and 2-channel input as RGB(A); a gray PNG is a third of the bytes.
  if (channels <= 2) s = s.toColourspace('b-w');
  const png = await s.png({ compressionLevel: 4 }).toBuffer();
  return asUint8Array(png);
}

/** A plain Uint8Array over a Buffer's bytes: structured clone and IPC keep the type, and tests compare it as bytes. */
function asUint8Array(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
