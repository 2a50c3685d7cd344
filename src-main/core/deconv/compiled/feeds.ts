// The inputs of a compiled reverse path, from one forward pass: the starting signals built exactly
// as DeconvEngine builds them (DESIGN §3: a zero tensor shaped like the layer holding a[c, p] at
// (c, p) for 'single', the whole map c for 'map'), and each signal's switches.
import { type Activations, type ProjectionRequest, type StartSignal, writeStartSignal } from '../request.ts';
import { badRequest } from '../errors.ts';
import type { CompiledReversePath } from './compile.ts';

export interface FeedTensor {
  dims: number[];
  type: 'float32' | 'int64' | 'int32';
  data: Float32Array | BigInt64Array | Int32Array;
}

export interface CompiledFeeds {
  /** By input name of the compiled graph. */
  feeds: Map<string, FeedTensor>;
  /** One per request; rows past the requests (padding up to the compiled batch) are zero signals. */
  starts: StartSignal[];
}


/** A gate's forward values, one row per signal from that signal's sample (padding rows repeat the first). */
function gateFeed(input: CompiledReversePath['inputs'][number], acts: Activations, rows: number[], perRow: number): FeedTensor {
  const t = acts.get(input.tensor!);
  if (!t) throw badRequest(`the forward pass did not fetch the gate "${input.tensor}"`, { tensor: input.tensor });
  if (!(t.data instanceof Float32Array) || t.data.length % perRow !== 0) throw badRequest(`gate "${input.tensor}" [${t.dims.join(', ')}] is not float values of ${perRow} per sample`, { tensor: input.tensor });
  const data = new Float32Array(input.dims[0] * perRow);
  for (let i = 0; i < input.dims[0]; i++) {
    const row = rows[i] ?? rows[0];
    if ((row + 1) * perRow > t.data.length) throw badRequest(`gate "${input.tensor}" has no batch index ${row}`, { tensor: input.tensor });
    data.set(t.data.subarray(row * perRow, (row + 1) * perRow), i * perRow);
  }
  return { dims: input.dims, type: 'float32', data };
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
    if (input.kind === 'gate') {
      feeds.set(input.name, gateFeed(input, acts, rows, perRow));
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
