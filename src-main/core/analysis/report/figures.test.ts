// The filter grid against a per-pixel reference (each pixel worked out from the weights on its own,
// as the grid was first drawn): 3 channels as RGB, other counts as the channel mean, zoom and padding.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../onnx/index.ts';
import { filterGridPixels } from './figures.ts';

function reference(weights: Float32Array, [K, C, kh, kw]: [number, number, number, number], zoom: number): Uint8Array {
  const cols = Math.min(K, 16);
  const pad = 2;
  const cw = kw * zoom + pad;
  const ch = kh * zoom + pad;
  const width = cols * cw + pad;
  const height = Math.ceil(K / cols) * ch + pad;
  const px = new Uint8Array(width * height * 3).fill(255);
  for (let k = 0; k < K; k++) {
    const base = k * C * kh * kw;
    let max = 1e-12;
    for (let i = 0; i < C * kh * kw; i++) max = Math.max(max, Math.abs(weights[base + i]));
    for (let y = 0; y < kh * zoom; y++) {
      for (let x = 0; x < kw * zoom; x++) {
        const wy = Math.floor(y / zoom);
        const wx = Math.floor(x / zoom);
        const o = ((pad + Math.floor(k / cols) * ch + y) * width + pad + (k % cols) * cw + x) * 3;
        for (let c = 0; c < 3; c++) {
          let v = 0;
          if (C === 3) v = weights[base + (c * kh + wy) * kw + wx];
          else {
            for (let ci = 0; ci < C; ci++) v += weights[base + (ci * kh + wy) * kw + wx];
            v /= C;
          }
          px[o + c] = Math.max(0, Math.min(255, Math.round(128 + (127 * v) / max)));
        }
      }
    }
  }
  return px;
}

describe('filterGridPixels', () => {
  const rnd = seededRandom(3);
  for (const dims of [[20, 3, 5, 5], [7, 6, 3, 3], [17, 1, 3, 2]] as [number, number, number, number][]) {
    it(`draws ${dims.join('×')} filters as the per-pixel reference does`, () => {
      const w = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rnd() * 2 - 1);
      for (const zoom of [1, 4]) {
        const got = filterGridPixels(w, dims, zoom);
        const want = reference(w, dims, zoom);
        expect(got.data.length).toBe(want.length);
        expect(Buffer.from(got.data).equals(Buffer.from(want))).toBe(true);
      }
    });
  }
});
