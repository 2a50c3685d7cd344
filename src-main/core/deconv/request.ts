// A projection request (DESIGN §3 "Deconvnet projection") and its one validation, against the layer
// it starts from; and its start signal. The engine, the compiled (GPU) path and the service all use
// these: the service before it sends a request to the runtime (answering with the API's wording), the
// engine and the compiled path again where the activations are (a request from anywhere else).
import { mapDims, noMapsMessage } from '../../common/layers.ts';
import { quoted } from '../../common/text.ts';
import { badRequest, invalidRequest } from './errors.ts';

export interface ActivationTensor {
  /** Including the batch N. */
  dims: readonly number[];
  /** Float activations; switches (int64 Indices) as Int32Array, or BigInt64Array when they need it. */
  data: Float32Array | Int32Array | BigInt64Array;
}

/** Tensors of one forward pass over a batch, by name (e.g. a Map). */
export interface Activations {
  get(name: string): ActivationTensor | undefined;
}

export interface ProjectionRequest {
  layer: string;
  channel: number;
  mode: 'single' | 'map';
  /** (y, x) in the map; default the argmax of map `channel` (first maximum, row-major). */
  position?: [number, number];
  batchIndex?: number;
}

export interface Projection {
  layer: string;
  channel: number;
  mode: 'single' | 'map';
  batchIndex: number;
  /** The activation's (y, x); null in map mode. */
  position: [number, number] | null;
  /** a[c, p] for single; the map's maximum for map. */
  value: number;
  /** C×H×W of the image input. */
  dims: [number, number, number];
  /** The raw projection in input space, C×H×W. */
  data: Float32Array;
  skipped: string[];
  /** Wall time of this projection (the forward pass excluded). */
  ms: number;
  /** What computed it: the TypeScript engine, or the reverse path compiled to ONNX. */
  backend: 'engine' | 'compiled';
}

/** A layer's activations seen as maps (common/layers.ts mapDims): n samples of C maps of H×W. */
export interface LayerMaps {
  n: number;
  c: number;
  h: number;
  w: number;
  /** N×C×H×W: positions are pixels of a map, so a single activation has a box. */
  spatial: boolean;
}

/** The maps of a layer of this shape (batch first), or a BAD_REQUEST naming the layer. */
export function layerMapsOf(layer: string, dims: readonly number[]): LayerMaps {
  const m = mapDims(dims);
  if (!m) throw badRequest(noMapsMessage(layer, dims), { layer });
  return { n: dims[0], c: m[0], h: m[1], w: m[2], spatial: dims.length === 4 };
}

/** What is wrong with one argument of a request: which, what it must be, what it was. */
export interface RequestProblem {
  argument: 'batchIndex' | 'channel' | 'mode' | 'position';
  must: string;
  value: unknown;
}

const int = (v: unknown, lo: number, hi: number) => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;

/** The first problem of `req` for a layer of `maps`, or null when it can be projected. */
export function requestProblem(req: Omit<ProjectionRequest, 'layer'>, maps: LayerMaps, layer: string): RequestProblem | null {
  const b = req.batchIndex ?? 0;
  if (!int(b, 0, maps.n - 1)) return { argument: 'batchIndex', must: `must be an integer from 0 to ${maps.n - 1} (the pass holds ${maps.n} sample${maps.n === 1 ? '' : 's'})`, value: b };
  const plural = maps.c === 1 ? '' : 's';
  if (!int(req.channel, 0, maps.c - 1)) return { argument: 'channel', must: `must be an integer from 0 to ${maps.c - 1} (layer ${quoted(layer)} has ${maps.c} map${plural})`, value: req.channel };
  if (req.mode !== 'single' && req.mode !== 'map') return { argument: 'mode', must: 'must be "single" or "map"', value: req.mode };
  const p = req.position;
  if (req.mode === 'single' && p && !(Array.isArray(p) && int(p[0], 0, maps.h - 1) && int(p[1], 0, maps.w - 1))) {
    return { argument: 'position', must: `must be [y, x] inside layer ${quoted(layer)}'s ${maps.h}×${maps.w} maps`, value: p };
  }
  return null;
}

function describe(v: unknown): string {
  return Array.isArray(v) ? `[${v.join(', ')}]` : typeof v === 'string' ? `"${v}"` : String(v);
}

/** Throws INVALID_ARGUMENT naming the argument when `req` cannot be projected from a layer of `maps`. */
export function checkRequest(req: ProjectionRequest, maps: LayerMaps): void {
  const p = requestProblem(req, maps, req.layer);
  if (p) throw invalidRequest(`projection of layer ${quoted(req.layer)}: ${p.argument} ${p.must}, got ${describe(p.value)}`, { layer: req.layer, argument: p.argument });
}

/** What a start signal reports beside its data: the activation's (y, x) (null in map mode) and a[c, p] (the map's max in map mode). */
export interface StartSignal {
  position: [number, number] | null;
  value: number;
}

/**
 * Checks `req` and writes its start signal into `out` (zeros shaped like one sample of the layer):
 * a[c, p] at (c, p) for 'single' (p: the given position, else the map's first maximum, row-major),
 * or the whole map c for 'map'.
 */
export function writeStartSignal(layer: { dims: readonly number[]; data: Float32Array }, req: ProjectionRequest, out: Float32Array): StartSignal {
  const maps = layerMapsOf(req.layer, layer.dims);
  checkRequest(req, maps);
  const { c, h, w } = maps;
  const size = h * w;
  const base = ((req.batchIndex ?? 0) * c + req.channel) * size;
  const map = layer.data.subarray(base, base + size);
  if (req.mode === 'map') {
    let max = -Infinity;
    for (let i = 0; i < size; i++) if (map[i] > max) max = map[i];
    out.set(map, req.channel * size);
    return { position: null, value: max };
  }
  let position = req.position;
  if (!position) {
    let at = 0;
    for (let i = 1; i < size; i++) if (map[i] > map[at]) at = i;
    position = [Math.floor(at / w), at % w];
  }
  const [y, x] = position;
  const value = map[y * w + x];
  out[req.channel * size + y * w + x] = value;
  return { position: [y, x], value };
}
