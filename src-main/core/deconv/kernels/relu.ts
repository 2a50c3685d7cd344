// The deconvnet's rectification: of the reverse signal itself, not masked by the forward pass.
import type { Box, Dims3 } from './types.ts';

export function relu(x: Float32Array, dims: Dims3, box: Box, out: Float32Array): void {
  const [C, H, W] = dims;
  const y0 = Math.max(0, box.y0);
  const y1 = Math.min(H - 1, box.y1);
  const x0 = Math.max(0, box.x0);
  const x1 = Math.min(W - 1, box.x1);
  for (let c = 0; c < C; c++) {
    for (let y = y0; y <= y1; y++) {
      const row = (c * H + y) * W;
      for (let i = row + x0, end = row + x1; i <= end; i++) {
        const v = x[i];
        out[i] = v > 0 ? v : 0;
      }
    }
  }
}
