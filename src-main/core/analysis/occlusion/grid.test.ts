import { describe, expect, it } from 'vitest';
import { occludeInto, occlusionGeometry } from './grid.ts';

/** The DESIGN §3 grid by the plainest loop: corners 0, t, 2t, … while corner + s ≤ side. */
function naiveCorners(side: number, s: number, t: number): number[] {
  const out: number[] = [];
  for (let y = 0; y + s <= side; y += t) out.push(y);
  return out;
}

describe('occlusionGeometry', () => {
  it('matches a naive loop over sizes and strides, rectangular inputs included', () => {
    for (const [H, W] of [[64, 64], [224, 224], [30, 17], [8, 8]]) {
      for (const s of [0, 1, 3, 8, Math.min(H, W)]) {
        for (const t of [1, 2, 5, 7]) {
          const g = occlusionGeometry(H, W, s, t);
          expect([g.rows, g.cols]).toEqual([naiveCorners(H, s, t).length, naiveCorners(W, s, t).length]);
        }
      }
    }
  });

  it('defaults to s = H/8 and t = s/2', () => {
    expect(occlusionGeometry(64, 64)).toEqual({ size: 8, stride: 4, rows: 15, cols: 15 });
    expect(occlusionGeometry(224, 224)).toMatchObject({ size: 28, stride: 14, rows: 15, cols: 15 });
  });

  it('refuses an occluder larger than the input and a zero stride', () => {
    expect(() => occlusionGeometry(16, 16, 17, 1)).toThrow(/larger than the 16×16 input/);
    expect(() => occlusionGeometry(16, 16, 4, 0)).toThrow(/stride/);
  });
});

describe('occludeInto', () => {
  it('zeroes exactly the square at (r·t, c·t) in every channel', () => {
    const [C, H, W] = [2, 9, 11];
    const img = Float32Array.from({ length: C * H * W }, (_, i) => i + 1);
    const g = occlusionGeometry(H, W, 3, 2);
    const out = new Float32Array(img.length);
    for (let r = 0; r < g.rows; r++) {
      for (let c = 0; c < g.cols; c++) {
        occludeInto(img, [C, H, W], g, r, c, out);
        for (let ch = 0; ch < C; ch++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
          const inside = y >= r * 2 && y < r * 2 + 3 && x >= c * 2 && x < c * 2 + 3;
          const i = ch * H * W + y * W + x;
          expect(out[i]).toBe(inside ? 0 : img[i]);
        }
      }
    }
  });
});
