// Uncompressed BMP (24-bit, top-down) from RGBA pixels: the cheapest image a browser decodes, made
// synchronously without a canvas. The map grid draws its cells as images of these, because a
// canvas per cell is a composited layer each, and hundreds of them cost every frame hundreds of
// milliseconds (each commit re-uploads every canvas).

const FILE_HEADER = 14;
const INFO_HEADER = 40;

/** Bytes of a `width`×`height` BMP of `rgba` (row-major, 4 bytes a pixel; alpha is dropped). */
export function encodeBmp(width: number, height: number, rgba: Uint8Array | Uint8ClampedArray): Uint8Array<ArrayBuffer> {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`encodeBmp: bad size ${width}×${height}`);
  }
  if (rgba.length < width * height * 4) throw new RangeError(`encodeBmp: ${rgba.length} bytes for ${width}×${height} RGBA`);
  const stride = (width * 3 + 3) & ~3;
  const offset = FILE_HEADER + INFO_HEADER;
  const size = offset + stride * height;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  out[0] = 0x42; // 'B'
  out[1] = 0x4d; // 'M'
  v.setUint32(2, size, true);
  v.setUint32(10, offset, true);
  v.setUint32(14, INFO_HEADER, true);
  v.setInt32(18, width, true);
  v.setInt32(22, -height, true); // negative: rows top to bottom
  v.setUint16(26, 1, true); // planes
  v.setUint16(28, 24, true); // bits per pixel
  v.setUint32(30, 0, true); // BI_RGB
  v.setUint32(34, stride * height, true);
  v.setInt32(38, 2835, true); // 72 dpi
  v.setInt32(42, 2835, true);
  for (let y = 0; y < height; y++) {
    let o = offset + y * stride;
    let i = y * width * 4;
    for (let x = 0; x < width; x++, i += 4, o += 3) {
      out[o] = rgba[i + 2];
      out[o + 1] = rgba[i + 1];
      out[o + 2] = rgba[i];
    }
  }
  return out;
}
