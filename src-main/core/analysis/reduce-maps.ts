// The per-map reduction of a scan (map-maxima.ts): a kernel with no I/O, so it runs in a compute
// worker (compute-tasks.ts) as well as here.
import { AppError } from '../../common/errors.ts';
import { mapDims, noMapsMessage } from '../../common/layers.ts';
import type { OutputTensor } from '../runtime/protocol.ts';
import { reduceMean } from './reduce-mean.ts';

/** Per image of a batch, per map: the maximum and its flat position (y·W + x) in the map. */
export interface LayerMaxima {
  /** Maps per image (C; an fc layer of F units counts as F maps of 1×1). */
  channels: number;
  height: number;
  width: number;
  /** n × C maxima, image-major. */
  max: Float32Array;
  /** n × C flat argmax positions (first occurrence of the maximum). */
  argmax: Int32Array;
  /** n × C per-map means (the probe's features), when asked for. */
  mean?: Float32Array;
}

/** Maxima and argmax of every map of one layer tensor (N×C×H×W, N×F or N×…); with `means`, each map's mean too. */
export function reduceMaps(t: OutputTensor, n: number, layer = 'the layer', means = false): LayerMaxima {
  if (t.type !== 'float32') throw new AppError('MODEL_UNSUPPORTED', 'layer tensor is not float32');
  const dims = mapDims(t.dims);
  if (!dims) throw new AppError('MODEL_UNSUPPORTED', noMapsMessage(layer, t.dims), { layer });
  const [channels, height, width] = dims;
  const plane = height * width;
  const data = t.data;
  const max = new Float32Array(n * channels);
  const argmax = new Int32Array(n * channels);
  for (let m = 0; m < n * channels; m++) {
    const base = m * plane;
    let best = data[base];
    let at = 0;
    for (let i = 1; i < plane; i++) {
      const v = data[base + i];
      if (v > best) {
        best = v;
        at = i;
      }
    }
    max[m] = best;
    argmax[m] = at;
  }
  if (!means) return { channels, height, width, max, argmax };
  const mean = new Float32Array(n * channels);
  for (let m = 0; m < n * channels; m++) mean[m] = reduceMean(data, m * plane, plane);
  return { channels, height, width, max, argmax, mean };
}
