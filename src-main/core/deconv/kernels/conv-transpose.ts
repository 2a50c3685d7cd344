// ConvTranspose as Conv's input gradient, in scatter form: each non-zero dy value adds its
// weighted kernel into the input. Scatter suits the deconvnet, whose signals are sparse (one
// activation; unpooled maps are zero off the switches), so the zero test skips most of the work.
// Positions are the outer loops and output channels the inner one, so the input patch a position
// writes to stays in cache while every channel adds into it.
import type { Box, Dims3, WindowGeometry } from './types.ts';

export function convTranspose(
  dy: Float32Array,
  dyDims: Dims3,
  w: Float32Array,
  wDims: [number, number, number, number],
  group: number,
  g: WindowGeometry,
  out: Float32Array,
  outDims: Dims3,
  box: Box,
): void {
  const [M, OH, OW] = dyDims;
  const [, CG, KH, KW] = wDims;
  const [, H, W] = outDims;
  const [sy, sx] = g.strides;
  const [dh, dw] = g.dilations;
  const [pt, pl] = g.padBegin;
  const perGroup = M / group;
  const HW = H * W;
  const OHW = OH * OW;
  const KHW = KH * KW;
  const y0 = Math.max(0, box.y0);
  const y1 = Math.min(OH - 1, box.y1);
  const x0 = Math.max(0, box.x0);
  const x1 = Math.min(OW - 1, box.x1);
  for (let oy = y0; oy <= y1; oy++) {
    const iy0 = oy * sy - pt;
    // Kernel rows that land inside the input: padding rows receive nothing.
    const kyLo = iy0 >= 0 ? 0 : Math.ceil(-iy0 / dh);
    const kyHi = Math.min(KH - 1, Math.floor((H - 1 - iy0) / dh));
    for (let ox = x0; ox <= x1; ox++) {
      const ix0 = ox * sx - pl;
      const kxLo = ix0 >= 0 ? 0 : Math.ceil(-ix0 / dw);
      const kxHi = Math.min(KW - 1, Math.floor((W - 1 - ix0) / dw));
      const at = oy * OW + ox;
      for (let m = 0; m < M; m++) {
        const v = dy[m * OHW + at];
        if (v === 0) continue;
        const wm = m * CG * KHW;
        const oc0 = Math.floor(m / perGroup) * CG * HW + ix0;
        for (let c = 0; c < CG; c++) {
          const wc = wm + c * KHW;
          const oc = oc0 + c * HW;
          for (let ky = kyLo; ky <= kyHi; ky++) {
            const o = oc + (iy0 + ky * dh) * W;
            const wr = wc + ky * KW;
            for (let kx = kxLo; kx <= kxHi; kx++) out[o + kx * dw] += v * w[wr + kx];
          }
        }
      }
    }
  }
}
