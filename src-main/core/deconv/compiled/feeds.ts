// The inputs of a compiled reverse path, from one forward pass: the starting signals built exactly
// as DeconvEngine builds them (DESIGN §3: a zero tensor shaped like the layer holding a[c, p] at
// (c, p) for 'single', the whole map c for 'map'), and each signal's switches.
import type { Activations, ProjectionRequest } from '../engine.ts';
import { badRequest } from '../errors.ts';
import type { CompiledReversePath } from './compile.ts';

export interface FeedTensor {
  dims: number[];
  type: 'float32' | 'int64' | 'int32';
  data: Float32Array | BigInt64Array | Int32Array;
}

/** What the engine reports beside the data: the activation's (y, x) (null in map mode) and a[c, p] (the map's max in map mode). */
export interface StartSignal {
  position: [number, number] | null;
  value: number;
}

export interface CompiledFeeds {
  /** By input name of the compiled graph. */
  feeds: Map<string, FeedTensor>;
  /** One per request; rows past the requests (padding up to the compiled batch) are zero signals. */
  starts: StartSignal[];
}

/** Writes request `req`'s starting signal into `out` (zeros, one sample of the layer) — the engine's startSignal. */
export function writeStartSignal(layer: { dims: readonly number[]; data: Float32Array }, req: ProjectionRequest, out: Float32Array): StartSignal {
  const d = layer.dims;
  if (d.length < 2 || d.length > 4) throw badRequest(`layer "${req.layer}" is [${d.join(', ')}]: Convscope projects from N×C, N×C×L or N×C×H×W layers`, { layer: req.layer });
  const [n, c, h, w] = d.length === 4 ? d : d.length === 3 ? [d[0], d[1], 1, d[2]] : [d[0], d[1], 1, 1];
  const b = req.batchIndex ?? 0;
  if (!Number.isInteger(b) || b < 0 || b >= n) throw badRequest(`batch index ${b} is outside 0…${n - 1}`, { batchIndex: b });
  if (!Number.isInteger(req.channel) || req.channel < 0 || req.channel >= c) {
    throw badRequest(`layer "${req.layer}" has ${c} maps; there is no channel ${req.channel}`, { layer: req.layer, channel: req.channel });
  }
  if (req.mode !== 'single' && req.mode !== 'map') throw badRequest(`mode "${String(req.mode)}" is neither "single" nor "map"`, { mode: req.mode });
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
      throw badRequest(`position (${y}, ${x}) is outside layer "${req.layer}"'s ${h}×${w} map`, { layer: req.layer, position });
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

/**
 * Feeds for `compiled` from the forward pass `acts` (which fetched the plan's fetches). Switch
 * rows are copied as they are (batch offset included): the graph takes indices modulo the sample.
 */
export function compiledFeeds(compiled: CompiledReversePath, acts: Activations, reqs: ProjectionRequest[]): CompiledFeeds {
  if (compiled.unsupported) throw badRequest(`the reverse path of "${compiled.layer}" is not compiled: ${compiled.unsupported}`, { layer: compiled.layer });
  if (reqs.length === 0 || reqs.length > compiled.batch) throw badRequest(`${reqs.length} requests for a compiled batch of ${compiled.batch}`, { batch: compiled.batch });
  const layer = acts.get(compiled.layer);
  if (!layer) throw badRequest(`the forward pass did not fetch layer "${compiled.layer}"`, { layer: compiled.layer });
  if (!(layer.data instanceof Float32Array)) throw badRequest(`layer "${compiled.layer}" is not a float tensor`, { layer: compiled.layer });
  const floats = layer.data;
  const feeds = new Map<string, FeedTensor>();
  const starts: StartSignal[] = [];
  const rows = reqs.map((r) => r.batchIndex ?? 0);
  if (compiled.sharedSwitches && rows.some((r) => r !== rows[0])) throw badRequest('shared switches need every request to come from the same image (batch index)', { batchIndices: rows });
  for (const input of compiled.inputs) {
    const perRow = input.dims.slice(1).reduce((a, b) => a * b, 1);
    if (input.kind === 'signal') {
      const data = new Float32Array(input.dims[0] * perRow);
      reqs.forEach((r, i) => {
        if (r.layer !== compiled.layer) throw badRequest(`request for layer "${r.layer}" fed to the compiled path of "${compiled.layer}"`, { layer: r.layer });
        starts.push(writeStartSignal({ dims: layer.dims, data: floats }, r, data.subarray(i * perRow, (i + 1) * perRow)));
      });
      feeds.set(input.name, { dims: input.dims, type: 'float32', data });
      continue;
    }
    const t = acts.get(input.tensor!);
    if (!t) throw badRequest(`the forward pass did not fetch switches "${input.tensor}"`, { tensor: input.tensor });
    if (t.data instanceof Float32Array || t.data.length % perRow !== 0) throw badRequest(`switches "${input.tensor}" [${t.dims.join(', ')}] are not integer indices of ${perRow} per sample`, { tensor: input.tensor });
    const data = input.type === 'int64' ? new BigInt64Array(input.dims[0] * perRow) : new Int32Array(input.dims[0] * perRow);
    const src = t.data;
    for (let i = 0; i < input.dims[0]; i++) {
      // Padding rows (beyond the requests) repeat the first request's switches; their signal is zero.
      const row = rows[i] ?? rows[0];
      if ((row + 1) * perRow > src.length) throw badRequest(`switches "${input.tensor}" have no batch index ${row}`, { tensor: input.tensor });
      const from = src.subarray(row * perRow, (row + 1) * perRow);
      if (data instanceof BigInt64Array) {
        if (from instanceof BigInt64Array) data.set(from, i * perRow);
        else for (let j = 0; j < perRow; j++) data[i * perRow + j] = BigInt(from[j]);
      } else if (from instanceof Int32Array) {
        data.set(from, i * perRow);
      } else {
        for (let j = 0; j < perRow; j++) {
          const v = Number(from[j]);
          if (v > 0x7fffffff) throw badRequest(`switches "${input.tensor}" hold index ${v}, beyond int32: compile with switchType 'int64'`, { tensor: input.tensor });
          data[i * perRow + j] = v;
        }
      }
    }
    feeds.set(input.name, { dims: input.dims, type: input.type, data });
  }
  return { feeds, starts };
}
