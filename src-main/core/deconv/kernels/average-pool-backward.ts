// AveragePool's input gradient: each output spreads dy / count evenly over its window. The count
// follows onnxruntime's forward: with count_include_pad, every window position inside the padded
// extent counts; without, only positions inside the input do.
import type { Box, Dims3, WindowGeometry } from './types.ts';

export function averagePoolBackward(dy: Float32Array, dyDims: Dims3, g: WindowGeometry, countIncludePad: boolean, out: Float32Array, outDims: Dims3, box: Box): void {
  const [C, OH, OW] = dyDims;
  const [, H, W] = outDims;
  const [KH, KW] = g.kernel;
  const [sy, sx] = g.strides;
  const [dh, dw] = g.dilations;
  const [pt, pl] = g.padBegin;
  const [pb, pr] = g.padEnd;
  const y0 = Math.max(0, box.y0);
  const y1 = Math.min(OH - 1, box.y1);
  const x0 = Math.max(0, box.x0);
  const x1 = Math.min(OW - 1, box.x1);
  for (let oy = y0; oy <= y1; oy++) {
    const iy0 = oy * sy - pt;
    const kyLo = iy0 >= 0 ? 0 : Math.ceil(-iy0 / dh);
    const kyHi = Math.min(KH - 1, Math.floor((H - 1 - iy0) / dh));
    const padLoY = iy0 >= -pt ? 0 : Math.ceil((-pt - iy0) / dh);
    const padHiY = Math.min(KH - 1, Math.floor((H + pb - 1 - iy0) / dh));
    const rowsIn = Math.max(0, kyHi - kyLo + 1);
    const rowsPad = Math.max(0, padHiY - padLoY + 1);
    for (let ox = x0; ox <= x1; ox++) {
      const ix0 = ox * sx - pl;
      const kxLo = ix0 >= 0 ? 0 : Math.ceil(-ix0 / dw);
      const kxHi = Math.min(KW - 1, Math.floor((W - 1 - ix0) / dw));
      const count = countIncludePad
        ? rowsPad * Math.max(0, Math.min(KW - 1, Math.floor((W + pr - 1 - ix0) / dw)) - (ix0 >= -pl ? 0 : Math.ceil((-pl - ix0) / dw)) + 1)
        : rowsIn * Math.max(0, kxHi - kxLo + 1);
      if (count === 0) continue;
      for (let c = 0; c < C; c++) {
        const v = dy[(c * OH + oy) * OW + ox];
        if (v === 0) continue;
        const share = v / count;
        const oc = c * H * W + ix0;
        for (let ky = kyLo; ky <= kyHi; ky++) {
          const o = oc + (iy0 + ky * dh) * W;
          for (let kx = kxLo; kx <= kxHi; kx++) out[o + kx * dw] += share;
        }
      }
    }
  }
}
