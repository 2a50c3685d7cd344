import { describe, expect, it } from 'vitest';
import { seededRandom } from '../onnx/index.ts';
import { isIdentityTransform, thetaRange, transformPlanes, type TransformKind } from './transform.ts';

function noise(n: number, seed: number): Float32Array {
  const rnd = seededRandom(seed);
  return Float32Array.from({ length: n }, () => rnd() * 4 - 2);
}

/**
 * Reference written from the forward transform: builds the 2×2 forward matrix of the transform,
 * inverts it numerically, and samples the source with a four-neighbour bilinear that treats every
 * pixel outside the image as `fill`.
 */
function naiveTransform(src: Float32Array, C: number, H: number, W: number, kind: TransformKind, theta: number, fill: number): Float64Array {
  // Forward: content point p (offset from the centre, [y, x]) goes to F·p + t.
  let F = [[1, 0], [0, 1]];
  let t = [0, 0];
  if (kind === 'translate-x') t = [0, theta];
  if (kind === 'translate-y') t = [theta, 0];
  if (kind === 'scale') F = [[theta, 0], [0, theta]];
  if (kind === 'rotate') {
    // Counter-clockwise on screen (y down): (y, x) → (−x·sin + y·cos, x·cos + y·sin).
    const r = (theta * Math.PI) / 180;
    F = [[Math.cos(r), -Math.sin(r)], [Math.sin(r), Math.cos(r)]];
  }
  const det = F[0][0] * F[1][1] - F[0][1] * F[1][0];
  const inv = [[F[1][1] / det, -F[0][1] / det], [-F[1][0] / det, F[0][0] / det]];
  const at = (k: number, y: number, x: number) => (y >= 0 && y < H && x >= 0 && x < W ? src[(k * H + y) * W + x] : fill);
  const out = new Float64Array(C * H * W);
  const cy = (H - 1) / 2;
  const cx = (W - 1) / 2;
  for (let k = 0; k < C; k++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const qy = y - cy - t[0];
        const qx = x - cx - t[1];
        const sy = inv[0][0] * qy + inv[0][1] * qx + cy;
        const sx = inv[1][0] * qy + inv[1][1] * qx + cx;
        const y0 = Math.floor(sy);
        const x0 = Math.floor(sx);
        let v = 0;
        for (const [yy, wy] of [[y0, 1 - (sy - y0)], [y0 + 1, sy - y0]])
          for (const [xx, wx] of [[x0, 1 - (sx - x0)], [x0 + 1, sx - x0]]) v += wy * wx * at(k, yy, xx);
        out[(k * H + y) * W + x] = v;
      }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('transformPlanes', () => {
  const C = 3;
  const H = 11;
  const W = 14;
  const x = noise(C * H * W, 5);

  it('identities reproduce the input exactly: θ = 0, scale 1, rotation 0° / 360° / −720°', () => {
    for (const [kind, theta] of [['translate-x', 0], ['translate-y', 0], ['scale', 1], ['rotate', 0], ['rotate', 360], ['rotate', -720]] as const) {
      expect(isIdentityTransform(kind, theta)).toBe(true);
      expect(transformPlanes(x, C, H, W, kind, theta)).toEqual(x);
    }
    expect(isIdentityTransform('rotate', 1e-9)).toBe(false);
  });

  it('rotation by 360° + θ equals rotation by θ, bit for bit', () => {
    for (const theta of [90, 180, 270, 37.5]) {
      expect(transformPlanes(x, C, H, W, 'rotate', theta + 360)).toEqual(transformPlanes(x, C, H, W, 'rotate', theta));
    }
  });

  it('an integer translation of an image with a constant (fill-coloured) border is an exact pixel shift', () => {
    // Content inside a border of fill (0) at least 3 px wide, so shifts up to 3 px lose nothing.
    const img = new Float32Array(C * H * W);
    for (let k = 0; k < C; k++) for (let y = 3; y < H - 3; y++) for (let xx = 3; xx < W - 3; xx++) img[(k * H + y) * W + xx] = x[(k * H + y) * W + xx];
    const shift = (dy: number, dx: number) => {
      const out = new Float32Array(img.length);
      for (let k = 0; k < C; k++)
        for (let y = 0; y < H; y++)
          for (let xx = 0; xx < W; xx++) {
            const sy = y - dy;
            const sx = xx - dx;
            if (sy >= 0 && sy < H && sx >= 0 && sx < W) out[(k * H + y) * W + xx] = img[(k * H + sy) * W + sx];
          }
      return out;
    };
    for (const d of [-3, -2, -1, 1, 2, 3]) {
      expect(transformPlanes(img, C, H, W, 'translate-x', d)).toEqual(shift(0, d));
      expect(transformPlanes(img, C, H, W, 'translate-y', d)).toEqual(shift(d, 0));
    }
    // Positive θ moves content right / down: the first content column (3) lands at 5.
    const moved = transformPlanes(img, C, H, W, 'translate-x', 2);
    expect(moved[4 * W + 5]).toBe(img[4 * W + 3]);
  });

  it('integer translation of any image shifts exactly and fills the uncovered side with the fill value', () => {
    const out = transformPlanes(x, C, H, W, 'translate-y', -4, 7);
    for (let k = 0; k < C; k++)
      for (let y = 0; y < H; y++)
        for (let xx = 0; xx < W; xx++) {
          const want = y + 4 < H ? x[(k * H + y + 4) * W + xx] : 7;
          expect(out[(k * H + y) * W + xx]).toBe(want);
        }
  });

  it('rotation by 90° moves a point right of the centre to above it', () => {
    const img = new Float32Array(9 * 9);
    img[4 * 9 + 7] = 1; // (y 4, x 7): 3 px right of the centre (4, 4)
    const out = transformPlanes(img, 1, 9, 9, 'rotate', 90);
    expect(out[1 * 9 + 4]).toBe(1);
    expect(out.reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('matches a naive bilinear reference at non-integer θ (translation, scale, rotation), fill included', () => {
    const cases: [TransformKind, number][] = [
      ['translate-x', 2.3], ['translate-x', -5.75], ['translate-y', 0.5], ['translate-y', -9.1],
      ['scale', 1.37], ['scale', 0.6], ['rotate', 33], ['rotate', -123.4], ['rotate', 90], ['rotate', 200],
    ];
    for (const [kind, theta] of cases) {
      const got = transformPlanes(x, C, H, W, kind, theta, 0.25);
      const want = naiveTransform(x, C, H, W, kind, theta, 0.25);
      expect(maxAbsDiff(got, want), `${kind} ${theta}`).toBeLessThan(1e-5);
    }
  });

  it('scale about the centre keeps the centre pixel of an odd-sized image', () => {
    const src = noise(C * 11 * 11, 5);
    const out = transformPlanes(src, C, 11, 11, 'scale', 1.8);
    for (let k = 0; k < C; k++) expect(out[k * 121 + 5 * 11 + 5]).toBe(src[k * 121 + 5 * 11 + 5]);
    expect(out[0]).not.toBe(src[0]);
  });

  it('rejects bad arguments with a message', () => {
    expect(() => transformPlanes(x, C, H, W, 'scale', 0)).toThrow(/factor must be positive/);
    expect(() => transformPlanes(x, C, H, W, 'rotate', Number.NaN)).toThrow(/finite/);
    expect(() => transformPlanes(x, 2, H, W, 'rotate', 3)).toThrow(/values for 2×11×14/);
  });
});

describe('thetaRange', () => {
  it('includes both ends, evenly spaced; integer grids stay integer', () => {
    expect(thetaRange(-3, 3, 7)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    expect(thetaRange(1, 1.8, 5)).toEqual([1, 1.2, 1.4, 1.6, 1.8]);
    expect(thetaRange(0, 350, 36)[35]).toBe(350);
    expect(thetaRange(0, 350, 36)[1]).toBe(10);
    expect(thetaRange(5, 9, 1)).toEqual([5]);
    expect(() => thetaRange(0, 1, 0)).toThrow(/steps/);
  });
});
