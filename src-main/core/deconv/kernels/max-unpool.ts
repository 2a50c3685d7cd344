// MaxUnpool through the switches: each pooled value goes back to the position that won its
// window on the way up. Overlapping windows (3/2 pools) can share a winner, so values add up.
import type { Box, Dims3 } from './types.ts';

export function maxUnpool(dy: Float32Array, dyDims: Dims3, switches: Int32Array, switchBase: number, indexBase: number, out: Float32Array, box: Box): void {
  const [C, OH, OW] = dyDims;
  const y0 = Math.max(0, box.y0);
  const y1 = Math.min(OH - 1, box.y1);
  const x0 = Math.max(0, box.x0);
  const x1 = Math.min(OW - 1, box.x1);
  for (let c = 0; c < C; c++) {
    for (let oy = y0; oy <= y1; oy++) {
      const row = (c * OH + oy) * OW;
      for (let ox = x0; ox <= x1; ox++) {
        const v = dy[row + ox];
        if (v !== 0) out[switches[switchBase + row + ox] - indexBase] += v;
      }
    }
  }
}
