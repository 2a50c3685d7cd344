// Turning tensors into what the views show: display pixels, receptive-field boxes, a layer's maps.
import type { LayerActivations, PixelBox } from '../../common/api.ts';
import { AppError } from '../../common/errors.ts';
import { mapDims, noMapsMessage } from '../../common/layers.ts';
import type { Preprocessing, ReceptiveField } from '../../common/types.ts';
import type { OutputTensor } from '../runtime/protocol.ts';

/** The receptive field of map position (y, x), clipped to an H×W input (DESIGN §3). */
export function receptiveFieldBox(rf: ReceptiveField, position: [number, number], H: number, W: number): PixelBox {
  const axis = (i: 0 | 1, p: number, size: number) => {
    const centre = rf.offset[i] + p * rf.stride[i];
    const half = (rf.size[i] - 1) / 2;
    return [Math.max(0, Math.ceil(centre - half)), Math.min(size, Math.floor(centre + half) + 1)] as const;
  };
  const [y0, y1] = axis(0, position[0], H);
  const [x0, x1] = axis(1, position[1], W);
  return { y0, x0, y1, x1 };
}

/** Batch item 0 of a layer tensor as C×H×W maps (common/layers.ts mapDims) with each map's maximum. */
export function layerMaps(layer: string, t: OutputTensor, ms: number): LayerActivations {
  const dims = mapDims(t.dims);
  if (!dims) throw new AppError('MODEL_UNSUPPORTED', noMapsMessage(layer, t.dims), { layer });
  const [c, h, w] = dims;
  const size = c * h * w;
  // A non-float layer (an int64 Cast, say) shows its values as numbers; BigInt64 needs Number().
  const data = t.data instanceof BigInt64Array ? Float32Array.from(t.data.subarray(0, size), Number) : Float32Array.from(t.data.subarray(0, size));
  const maxima = new Float32Array(c);
  for (let k = 0; k < c; k++) {
    let m = -Infinity;
    for (let i = k * h * w; i < (k + 1) * h * w; i++) if (data[i] > m) m = data[i];
    maxima[k] = m;
  }
  return { layer, dims: [c, h, w], data, maxima, ms };
}

/** Undoes the normalisation of a preprocessed C×H×W tensor into 8-bit HWC pixels (RGB order for display). */
export function tensorToPixels(tensor: Float32Array, dims: [number, number, number], p: Preprocessing): { data: Uint8Array; channels: 1 | 3 } {
  const [C, H, W] = dims;
  const plane = H * W;
  const out = new Uint8Array(plane * C);
  for (let c = 0; c < C; c++) {
    // BGR models are shown in RGB order.
    const dst = p.channels === 'BGR' ? C - 1 - c : c;
    const mean = p.mean[c] ?? p.mean[0];
    const std = p.std[c] ?? p.std[0];
    for (let i = 0; i < plane; i++) {
      const v = (tensor[c * plane + i] * std + mean) * p.scale;
      out[i * C + dst] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return { data: out, channels: C === 1 ? 1 : 3 };
}
