// A projection as an 8-bit image (DESIGN §3: v / max|v|, mapped to 0..255 around 128, per projection).

/**
 * u = round(127.5 + 127.5 · v / m) with m = max|v| over the projection: +m → 255, −m → 0 and
 * 0 → 128 (Math.round rounds 127.5 up), so "no contribution" is the same grey in every image.
 * An all-zero projection is all 128; NaN is 128 and ±∞ saturate. The result is interleaved
 * H×W×C (C = 1 or 3), the layout image encoders and canvases take; `data` is planar C×H×W.
 */
export function toDisplay(data: Float32Array, dims: readonly [number, number, number]): Uint8Array {
  const [C, H, W] = dims;
  const plane = H * W;
  if (data.length !== C * plane) throw new RangeError(`toDisplay: ${data.length} values for ${C}×${H}×${W}`);
  let m = 0;
  for (let i = 0; i < data.length; i++) {
    const a = Math.abs(data[i]);
    if (a > m && a !== Infinity) m = a;
  }
  const out = new Uint8Array(data.length).fill(128);
  if (m === 0) {
    for (let i = 0; i < data.length; i++) if (data[i] === Infinity || data[i] === -Infinity) out[(i % plane) * C + Math.floor(i / plane)] = data[i] > 0 ? 255 : 0;
    return out;
  }
  const k = 127.5 / m;
  for (let c = 0; c < C; c++) {
    for (let p = 0; p < plane; p++) {
      const v = data[c * plane + p];
      // NaN fails both tests and stays 128; ±∞ clamp.
      const u = Math.round(127.5 + k * v);
      out[p * C + c] = u >= 255 ? 255 : u <= 0 ? 0 : u === u ? u : 128;
    }
  }
  return out;
}
