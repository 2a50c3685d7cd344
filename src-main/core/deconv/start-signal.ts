// The start signal of a projection (DESIGN §3): zeros shaped like one sample of layer L, holding
// a[c, p] at (c, p) ('single') or the whole map c ('map'). Shared by the engine and the compiled path.
import { badRequest, invalidRequest } from './errors.ts';
import type { ProjectionRequest } from './engine.ts';

/** What the engine reports beside the data: the activation's (y, x) (null in map mode) and a[c, p] (the map's max in map mode). */
export interface StartSignal {
  position: [number, number] | null;
  value: number;
}

/** Writes request `req`'s starting signal into `out` (zeros, one sample of the layer)  */
export function writeStartSignal(layer: { dims: readonly number[]; data: Float32Array }, req: ProjectionRequest, out: Float32Array): StartSignal {
  const d = layer.dims;
  if (d.length < 2 || d.length > 4) throw badRequest(`layer "${req.layer}" is [${d.join(', ')}]: Convscope projects from N×C, N×C×L or N×C×H×W layers`, { layer: req.layer });
  const [n, c, h, w] = d.length === 4 ? d : d.length === 3 ? [d[0], d[1], 1, d[2]] : [d[0], d[1], 1, 1];
  const b = req.batchIndex ?? 0;
  if (!Number.isInteger(b) || b < 0 || b >= n) throw invalidRequest(`batch index ${b} is outside 0…${n - 1}`, { batchIndex: b });
  if (!Number.isInteger(req.channel) || req.channel < 0 || req.channel >= c) {
    throw invalidRequest(`layer "${req.layer}" has ${c} maps; there is no channel ${req.channel}`, { layer: req.layer, channel: req.channel });
  }
  if (req.mode !== 'single' && req.mode !== 'map') throw invalidRequest(`mode "${String(req.mode)}" is neither "single" nor "map"`, { mode: req.mode });
  const size = h * w;
  const base = (b * c + req.channel) * size;
  const map = layer.data.subarray(base, base + size);
  if (req.mode === 'map') {
    let max = -Infinity;
    for (let i = 0; i < size; i++) if (map[i] > max) max = map[i];
    out.set(map, req.channel * size);
    return { position: null, value: max };
  }
  let position = req.position;
  if (position) {
    const [y, x] = position;
    if (!Number.isInteger(y) || !Number.isInteger(x) || y < 0 || y >= h || x < 0 || x >= w) {
      throw invalidRequest(`position (${y}, ${x}) is outside layer "${req.layer}"'s ${h}×${w} map`, { layer: req.layer, position });
    }
  } else {
    let at = 0; // the first maximum, row-major, as the engine
    for (let i = 1; i < size; i++) if (map[i] > map[at]) at = i;
    position = [Math.floor(at / w), at % w];
  }
  const [y, x] = position;
  const value = map[y * w + x];
  out[req.channel * size + y * w + x] = value;
  return { position: [y, x], value };
}
