// Decodes any image sharp reads into 8-bit HWC pixels with exactly 1 or 3 channels,
// the form preprocessing and the views start from.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp, { type OutputInfo, type Sharp, type SharpOptions } from 'sharp';
import { ImageError, errnoCode, errorMessage } from './errors.ts';

export interface DecodedImage {
  width: number;
  height: number;
  channels: 1 | 3;
  /** HWC, 8-bit. */
  data: Uint8Array;
}

/**
 * Refuse images above 100 megapixels before decoding them. sharp reads the size from the header,
 * so a decompression bomb (a few KB of PNG claiming 10⁴×10⁴ pixels) fails fast instead of
 * allocating gigabytes; real photos stay far below (a 50 MP camera frame is half of it).
 */
export const MAX_INPUT_PIXELS = 100_000_000;

export interface DecodeOptions {
  channels: 1 | 3;
  /** Override of MAX_INPUT_PIXELS (tests, or callers that know better). */
  maxPixels?: number;
}

export async function decodeImage(file: string, opts: DecodeOptions): Promise<DecodedImage> {
  let bytes: Buffer;
  try {
    // Reading the bytes ourselves keeps "cannot read the file" (IMAGE_UNREADABLE) apart from
    // "read it, but it is not a valid image" (IMAGE_DECODE_FAILED) without parsing sharp's messages.
    bytes = await readFile(file);
  } catch (err) {
    throw unreadableError(err, file);
  }
  let out: { data: Buffer; info: OutputInfo };
  try {
    out = await colourPipeline(sharp(bytes, sharpInputOptions(opts.maxPixels)), opts.channels)
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw sharpError(err, file, opts.maxPixels);
  }
  const { width, height } = out.info;
  const data = fixChannels(new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length), width * height, out.info.channels, opts.channels);
  return { width, height, channels: opts.channels, data };
}

/** Input options shared by every decode here (decoder and thumbnails). */
export function sharpInputOptions(maxPixels = MAX_INPUT_PIXELS): SharpOptions {
  return {
    limitInputPixels: maxPixels,
    // 'error' rather than sharp's default 'warning': photos in the wild often carry harmless
    // warnings (odd ICC profiles, extra bytes after the end marker) and PIL loads them;
    // truncated or corrupt data is an error and still fails.
    failOn: 'error',
    // Multi-frame GIF/TIFF: the first frame is the image.
    pages: 1,
  };
}

/**
 * The colour handling every decode shares:
 * - EXIF orientation applied (`autoOrient`, the successor of argument-less `rotate()`), so pixels
 *   are the way a viewer shows them — the way the photo was labelled.
 * - Alpha flattened onto black. Black because fully transparent pixels of most PNGs are stored as
 *   (0,0,0,0), so this equals what PIL's `convert('RGB')` (torchvision's default loader) sees
 *   for them, and because the gray demo models were trained on Fashion-MNIST, objects on black.
 * - 16-bit input becomes 8-bit: sharp's sRGB / b-w output interpretation is 8-bit, and
 *   `raw({ depth: 'uchar' })` pins it.
 * - 1 channel: sharp's `greyscale()`, which is libvips' sRGB → B_W: luminance
 *   Y = 0.2126 R + 0.7152 G + 0.0722 B (Rec. 709) computed in *linear* light and re-encoded with
 *   the sRGB curve (pure red → 127, green → 220, blue → 76). Note this is not PIL's `convert('L')`
 *   (Rec. 601 weights on gamma-encoded values: red → 76); `preprocess` uses the same formula
 *   as here when it must turn colour into gray itself.
 * - 3 channels: sRGB; a gray image is replicated into R, G and B.
 */
export function colourPipeline(s: Sharp, channels: 1 | 3): Sharp {
  const oriented = s.autoOrient().flatten({ background: { r: 0, g: 0, b: 0 } });
  return channels === 1 ? oriented.greyscale().toColourspace('b-w') : oriented.toColourspace('srgb');
}

/** sharp should already give the requested channel count; guard against surprises (e.g. CMYK edge cases) rather than hand back a mislabelled buffer. */
function fixChannels(data: Uint8Array, pixels: number, have: number, want: 1 | 3): Uint8Array {
  if (have === want) return data;
  const out = new Uint8Array(pixels * want);
  for (let i = 0; i < pixels; i++) {
    for (let c = 0; c < want; c++) out[i * want + c] = data[i * have + Math.min(c, have - 1)];
  }
  return out;
}

/** Turns a sharp failure into an ImageError naming the file. */
export function sharpError(err: unknown, file: string, maxPixels = MAX_INPUT_PIXELS): ImageError {
  const msg = errorMessage(err);
  const name = path.basename(file);
  if (/pixel limit/i.test(msg)) {
    return new ImageError('IMAGE_TOO_LARGE', `${name} is too large to decode (over the limit of ${maxPixels / 1e6} megapixels, or a corrupt header claims so): ${msg}`, file, { cause: msg, maxPixels });
  }
  if (/buffer is empty/i.test(msg)) return new ImageError('IMAGE_DECODE_FAILED', `${name}: the file is empty`, file, { cause: msg });
  if (/unsupported image format/i.test(msg)) {
    return new ImageError('IMAGE_DECODE_FAILED', `${name}: not an image, or in a format Convscope cannot read`, file, { cause: msg });
  }
  return new ImageError('IMAGE_DECODE_FAILED', `${name}: the image is truncated or damaged (${decoderCause(msg)})`, file, { cause: msg });
}

/**
 * libvips' own words for why the decoder stopped, without the lines its encoder adds when its
 * input ends early: a truncated PNG re-encoded for a thumbnail fails as "vipspng: libpng read
 * error\nvips2png: unable to write to target target", and only the first line is about the file.
 */
function decoderCause(msg: string): string {
  const lines = msg
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/unable to write to (target|memory|buffer)/i.test(l))
    .map((l) => l.replace(/^(vipspng|VipsJpeg|VipsForeignLoad\w*|jpegload|pngload|webpload|tiffload|gifload|heifload)\s*:\s*/i, ''));
  return lines.length > 0 ? [...new Set(lines)].join('; ') : 'the decoder stopped early';
}

export function unreadableError(err: unknown, file: string): ImageError {
  const code = errnoCode(err);
  const name = path.basename(file);
  const why =
    code === 'ENOENT' ? 'file not found'
    : code === 'EISDIR' ? 'it is a folder'
    : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
    : errorMessage(err);
  return new ImageError('IMAGE_UNREADABLE', `${name} could not be read: ${why}`, file, { errno: code });
}
