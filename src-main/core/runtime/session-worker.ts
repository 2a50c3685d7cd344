// Runs in the runtime process: the only place models are parsed and inference happens, because
// onnxruntime-node's create() and run() block the JavaScript thread for their whole duration, and a
// native fault in onnxruntime (an abort, a segfault, an out-of-memory on a hostile model) must end
// only this process, never the app (see process-host.ts).
import { stat } from 'node:fs/promises';
import { endianness } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { create } from '@bufbuild/protobuf';
import { type ModelProto, type TensorProto, TensorProtoSchema } from 'onnx-buf';
import { toErrorInfo, AppError } from '../../common/errors.ts';
import type { Provider } from '../../common/api.ts';
import { DeconvEngine, type Activations, type Projection, type ProjectionRequest } from '../deconv/index.ts';
import {
  analyzeGraph, detachFromFile, findSwitches, loadModelFile, parseModel, serializeModel, serveTapped, switchesModel, withDistances, withOutputs,
  type GraphSummary, type ReadFile, type Switches,
} from '../onnx/index.ts';
import { CompiledProjector } from './compiled-projector.ts';
import { explainOrtError } from './ort-errors.ts';
import { sessionOptions } from './ort-options.ts';
import type {
  FeedTensor, GraphOutline, IoMeta, LoadResult, ModelRewrite, ModelSource, OpenResult, OutputTensor, RuntimeProgress, RuntimeRequest, RuntimeResponse,
} from './protocol.ts';
import type { DeconvBackend } from './provider.ts';

// onnxruntime's warnings are ANSI-coloured lines on stderr; errors reach the user as messages instead.
ort.env.logLevel = 'error';
/** A forward pass kept for projections: its input, and the tensors fetched or computed so far. */
interface Kept {
  feeds: Record<string, ort.Tensor>;
  tensors: Map<string, OutputTensor>;
  /** What a caller asked for (the rest, pool inputs fetched to compute switches, is let go after). */
  asked: Set<string>;
  /** Projections' tensors being fetched in the background (run's `soon`); a projection waits for it. */
  prefetch: Promise<void> | null;
}

interface Loaded {
  session: ort.InferenceSession;
  inputs: IoMeta[];
  outputNames: Set<string>;
  /** The file's name for messages. */
  name: string;
  /** For models loaded from bytes: parsed on first projection. */
  bytes: Uint8Array | null;
  /** The graph the engine plans with; for an opened file its large constants stay on disk (weights-on-disk.ts). */
  graph: GraphSummary | null;
  /** Every MaxPool's switches, and the graph of those MaxPools alone that computes them (tap.ts switchesModel). */
  switches: Switches[] | null;
  poolsBytes: Uint8Array | null;
  pools: ort.InferenceSession | null;
  /** `path|mtime|size` of the file this was opened from. */
  fileKey: string | null;
  engine: DeconvEngine | null;
  provider: Provider;
  /** Set once a projection runs compiled to ONNX. */
  projector: CompiledProjector | null;
  /** Where projections run: always compiled (CUDA, or asked for), always the engine, or by each layer's size ('auto' on CPU). */
  backend: 'engine' | 'compiled' | 'auto';
  /** Under 'auto': the backend chosen per layer, on its first projection. */
  byLayer: Map<string, 'engine' | 'compiled'>;
  /** Forward passes kept for projections (a click reuses the image's activations and switches), oldest first. */
  kept: Map<string, Kept>;
}

/** Kept passes: at most this many, and at most this many bytes beside the newest. */
const KEEP = 3;
const KEEP_BYTES = 256 * 1024 * 1024;

const sessions = new Map<string, Loaded>();

/**
 * The model `describe` parsed last, for the `open` that usually follows it (a command chooses what
 * to load from the graph): the file is then parsed once. An open of it takes it over.
 */
let described: { fileKey: string; model: ModelProto; read: ReadFile | null } | null = null;

function meta(list: readonly ort.InferenceSession.ValueMetadata[]): IoMeta[] {
  return list.map((m) =>
    m.isTensor
      ? { name: m.name, type: String(m.type), shape: m.shape.map((d) => (typeof d === 'number' ? d : String(d))) }
      : { name: m.name, type: 'non-tensor', shape: [] },
  );
}

async function createSession(bytes: Uint8Array, name: string, providers: Provider[], reason: string): Promise<{ session: ort.InferenceSession; provider: Provider; providerReason: string }> {
  if (providers[0] === 'cuda') {
    try {
      return { session: await ort.InferenceSession.create(bytes, { ...sessionOptions('model'), executionProviders: ['cuda', 'cpu'] }), provider: 'cuda', providerReason: reason };
    } catch (e) {
      reason = `the CUDA provider failed to start (${explainOrtError((e as Error).message, name).split('\n')[0]})`;
    }
  }
  try {
    return { session: await ort.InferenceSession.create(bytes, { ...sessionOptions('model'), executionProviders: ['cpu'] }), provider: 'cpu', providerReason: reason };
  } catch (e) {
    const why = explainOrtError((e as Error).message, name);
    throw new AppError('MODEL_UNSUPPORTED', why.startsWith(name) ? why : `onnxruntime cannot run ${name}: ${why}`);
  }
}

/**
 * A full collection, where the process was started with --expose-gc (launch-node.ts). After an open
 * the file's buffer and the serialized copy are garbage, 2× the file; V8 sees no allocation to start
 * a collection by itself, so they would stay resident until the next busy moment.
 */
function collect(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function releaseKey(key: string): Promise<void> {
  const s = sessions.get(key);
  sessions.delete(key);
  if (s) {
    await s.session.release();
    await s.pools?.release();
    await s.projector?.release();
  }
}

interface Keeps {
  bytes: Uint8Array | null;
  fileKey: string | null;
  graph?: GraphSummary | null;
  switches?: Switches[] | null;
  poolsBytes?: Uint8Array | null;
}

async function install(key: string, bytes: Uint8Array, name: string, providers: Provider[], reason: string, deconv: DeconvBackend, keeps: Keeps): Promise<LoadResult> {
  await releaseKey(key);
  const { session, provider, providerReason } = await createSession(bytes, name, providers, reason);
  const inputs = meta(session.inputMetadata);
  const backend = deconv === 'compiled' || (deconv === 'auto' && provider === 'cuda') ? 'compiled' : deconv === 'engine' ? 'engine' : 'auto';
  sessions.set(key, {
    session, inputs, outputNames: new Set(session.outputNames), name, graph: null, switches: null, poolsBytes: null, pools: null, ...keeps,
    engine: null, kept: new Map(), provider, projector: null, backend, byLayer: new Map(),
  });
  return { provider, providerReason, deconvBackend: backend, inputs, outputs: meta(session.outputMetadata) };
}

/** The file read and parsed; `describe` followed by `open` of the same file parses it once. */
async function parsedFile(source: ModelSource): Promise<{ model: ModelProto; fileKey: string; read: ReadFile | null }> {
  const st = await stat(source.file).catch(() => null);
  const name = path.basename(source.file);
  if (!st) throw new AppError('MODEL_READ_FAILED', `${name}: the file is gone (${source.file})`, { file: source.file });
  if (st.mtimeMs !== source.mtimeMs || st.size !== source.size) {
    throw new AppError('MODEL_READ_FAILED', `${name} changed on disk since it was opened; open it again`, { file: source.file });
  }
  const fileKey = `${source.file}|${st.mtimeMs}|${st.size}`;
  if (described?.fileKey === fileKey) return { model: described.model, fileKey, read: described.read };
  const { model, bytes } = await loadModelFile(source.file);
  return { model, fileKey, read: { file: source.file, bytes, mtimeMs: st.mtimeMs, size: st.size } };
}

/**
 * The summary without the constants the main thread never reads: only the spine's Conv weights stay
 * (for spectra), read with `get` (a WeightsOnDisk reads them back from the file). With `firstOnly`
 * (an opened model, whose session can read the rest later) the other Conv weights go as their
 * shapes alone: ResNet18's are nearly all of its 47 MB, which cost the open their way to the main
 * process and stayed there.
 */
function outline(graph: GraphSummary, firstOnly = false): GraphOutline {
  const keep: string[] = [];
  for (const l of graph.layers) {
    if (l.op !== 'Conv') continue;
    const node = graph.nodes.find((n) => n.name === l.node);
    if (node?.inputs[1] && !keep.includes(node.inputs[1])) keep.push(node.inputs[1]);
  }
  const initializers = new Map<string, TensorProto>();
  keep.forEach((name, i) => {
    const t = graph.initializers.get(name);
    if (t) initializers.set(name, firstOnly && i > 0 ? withoutValues(t) : t);
  });
  return { ...graph, initializers };
}

/** A tensor's name, type and dims, no values. */
function withoutValues(t: TensorProto): TensorProto {
  return create(TensorProtoSchema, { name: t.name, dims: t.dims, dataType: t.dataType });
}

function weights(key: string, names: string[]): Record<string, TensorProto> {
  const loaded = loadedSession(key);
  const graph = loaded.graph ?? engineFor(loaded).graph;
  const out: Record<string, TensorProto> = {};
  for (const name of names) {
    const t = graph.initializers.get(name);
    if (!t) throw new AppError('NOT_FOUND', `${loaded.name} has no constant "${name}"`);
    out[name] = t;
  }
  return out;
}

function rewritten(model: ModelProto, rewrite: Exclude<ModelRewrite, { kind: 'tap-all' }>, opset: number): ModelProto {
  switch (rewrite.kind) {
    case 'outputs':
      return withOutputs(model, rewrite.tensors);
    case 'distances':
      return withDistances(model, rewrite.layers, opset);
  }
}

/** The stages of opening a model, as the open job reports them (the last is the main side's zero pass). */
export const OPEN_STAGES = 4;

async function open(req: Extract<RuntimeRequest, { type: 'open' }>, progress: (p: RuntimeProgress) => void): Promise<OpenResult> {
  const { source } = req;
  const name = path.basename(source.file);
  progress({ stage: `reading ${name} (${Math.round(source.size / 1e6)} MB)`, done: 0, total: OPEN_STAGES });
  const { model, fileKey, read } = await parsedFile(source);
  const { rewrite } = source;
  const tapAll = rewrite.kind === 'tap-all';
  progress({ stage: tapAll ? 'adding the taps' : 'preparing the copy', done: 1, total: OPEN_STAGES });
  let bytes: Uint8Array;
  const keeps: Keeps = { bytes: null, fileKey };
  let graph: GraphSummary | null = null;
  if (rewrite.kind === 'tap-all') {
    graph = analyzeGraph(model, source.file);
    const served = serveTapped(model, graph.layers.map((l) => l.id));
    bytes = served.bytes;
    keeps.switches = served.switches;
    keeps.poolsBytes = served.switches.length ? switchesModel(model, served.switches) : null;
    // The engine's graph keeps nothing of the file's buffer, nor does the outline sent back (it is
    // read from it), so the buffer goes with the parsed model.
    if (read) graph = detachFromFile(graph, read);
    keeps.graph = graph;
  } else {
    const opset = Number(model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0);
    bytes = serializeModel(rewritten(model, rewrite, opset));
  }
  if (described?.fileKey === fileKey) described = null;
  progress({ stage: 'loading into onnxruntime', done: 2, total: OPEN_STAGES });
  const loaded = await install(req.key, bytes, name, req.providers, req.providerReason, req.deconv, keeps);
  return { ...loaded, graph: graph ? outline(graph, true) : null };
}

async function describe(file: string): Promise<GraphOutline> {
  const st = await stat(file).catch(() => null);
  if (!st) throw new AppError('MODEL_READ_FAILED', `${path.basename(file)}: no such file (${file})`, { file });
  const { model, fileKey, read } = await parsedFile({ file, rewrite: { kind: 'tap-all' }, mtimeMs: st.mtimeMs, size: st.size });
  const graph = outline(analyzeGraph(model, file));
  described = { fileKey, model, read };
  // Not kept for long: a compare model of the Filters view is described and never opened.
  const mine = described;
  setTimeout(() => {
    if (described === mine) described = null;
  }, 30_000).unref();
  return graph;
}

function checkFeeds(inputs: IoMeta[], feeds: Record<string, FeedTensor>): void {
  // ORT silently ignores extra feeds, so a misspelt name would otherwise run on garbage.
  const names = new Set(inputs.map((i) => i.name));
  for (const name of Object.keys(feeds)) {
    if (!names.has(name)) throw new AppError('INPUT_MISMATCH', `the model has no input "${name}" (inputs: ${[...names].join(', ')})`);
  }
  for (const input of inputs) {
    const feed = feeds[input.name];
    if (!feed) throw new AppError('INPUT_MISMATCH', `input "${input.name}" was not given`);
    if (feed.dims.length !== input.shape.length) {
      throw new AppError('INPUT_MISMATCH', `input "${input.name}" expects ${input.shape.length} dimensions [${input.shape.join('×')}], got [${feed.dims.join('×')}]`);
    }
    input.shape.forEach((d, i) => {
      if (typeof d === 'number' && d > 0 && d !== feed.dims[i]) {
        throw new AppError('INPUT_MISMATCH', `input "${input.name}" expects [${input.shape.join('×')}], got [${feed.dims.join('×')}]`);
      }
    });
    const count = feed.dims.reduce((a, b) => a * b, 1);
    if (count !== feed.data.length) {
      throw new AppError('INPUT_MISMATCH', `input "${input.name}": ${feed.data.length} values for shape [${feed.dims.join('×')}]`);
    }
  }
}

const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * The values as Int32, or null when one does not fit. Read as pairs of 32-bit words, not as BigInts:
 * a VGG's switches are 1.5 M values per image, and BigInt compares took 26 ms of each tapped pass.
 */
export function toInt32(big: BigInt64Array): Int32Array | null {
  const out = new Int32Array(big.length);
  if (!LITTLE_ENDIAN) {
    for (let i = 0; i < big.length; i++) {
      if (big[i] > 2147483647n || big[i] < -2147483648n) return null;
      out[i] = Number(big[i]);
    }
    return out;
  }
  // A value fits when its high word is the sign extension of its low word.
  const words = new Int32Array(big.buffer, big.byteOffset, big.length * 2);
  for (let i = 0; i < big.length; i++) {
    const lo = words[2 * i];
    if (words[2 * i + 1] !== lo >> 31) return null;
    out[i] = lo;
  }
  return out;
}

function toOutput(t: ort.Tensor): OutputTensor {
  const dims = [...t.dims];
  if (t.type === 'float32') return { dims, type: 'float32', data: t.data as Float32Array };
  if (t.type === 'int64') {
    // Switch indices are flat positions; they fit 32 bits for any batch we run, and Int32 is cheaper downstream.
    const small = toInt32(t.data as BigInt64Array);
    return { dims, type: 'int64', data: small ?? (t.data as BigInt64Array) };
  }
  throw new AppError('MODEL_UNSUPPORTED', `output of type ${t.type} is not supported`);
}

function loadedSession(key: string): Loaded {
  const loaded = sessions.get(key);
  if (!loaded) throw new AppError('RUNTIME_FAILED', 'the model session is not loaded');
  return loaded;
}

async function runSession(loaded: Loaded, feeds: Record<string, ort.Tensor>, fetches?: string[]): Promise<ort.InferenceSession.OnnxValueMapType> {
  try {
    return fetches ? await loaded.session.run(feeds, fetches) : await loaded.session.run(feeds);
  } catch (e) {
    throw new AppError('RUNTIME_FAILED', `inference on ${loaded.name} failed: ${explainOrtError((e as Error).message, loaded.name)}`);
  }
}

/**
 * One forward pass. With `keep`, the pass is kept under that id for projections: what it fetched,
 * and its input to fetch more from on demand (projections add the switches they unpool through, see
 * ensureTensors). `projectFrom` fetches in the same pass what projections from those layers read,
 * and computes the switches, for a caller about to project.
 */
async function run(key: string, feeds: Record<string, FeedTensor>, fetches: string[], keep?: string, projectFrom?: string[], soon = false): Promise<Record<string, OutputTensor>> {
  const loaded = loadedSession(key);
  checkFeeds(loaded.inputs, feeds);
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, f] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor('float32', f.data, f.dims);
  if (!keep) {
    const results = await runSession(loaded, ortFeeds, fetches.length ? fetches : undefined);
    const all: Record<string, OutputTensor> = {};
    for (const [name, t] of Object.entries(results)) {
      // Taps of non-float tensors (shape arithmetic beside the spine) are not read by anything here.
      if ((t as ort.Tensor).type !== 'float32' && (t as ort.Tensor).type !== 'int64' && !fetches.includes(name)) continue;
      all[name] = toOutput(t as ort.Tensor);
    }
    return all;
  }
  for (const name of fetches) {
    if (!loaded.outputNames.has(name)) throw new AppError('RUNTIME_FAILED', `${loaded.name} has no tensor "${name}"`);
  }
  // A kept pass that names nothing fetches everything the session outputs.
  const asked = fetches.length ? fetches : [...loaded.outputNames];
  const kept: Kept = { feeds: ortFeeds, tensors: new Map(), asked: new Set(asked), prefetch: null };
  if (projectFrom && soon) {
    const results = await runSession(loaded, ortFeeds, asked);
    for (const [name, t] of Object.entries(results)) kept.tensors.set(name, toOutput(t as ort.Tensor));
    kept.prefetch = prefetchSoon(loaded, kept, projectFrom);
  } else {
    // What the projections will read (planned first, so a bad layer fails before the pass runs).
    const needed = projectFrom ? projectionTensors(loaded, projectFrom) : [];
    const inPass = projectFrom ? [...needed.filter((n) => loaded.outputNames.has(n)), ...switchSources(loaded, kept)] : [];
    const results = await runSession(loaded, ortFeeds, [...new Set([...asked, ...inPass])]);
    for (const [name, t] of Object.entries(results)) kept.tensors.set(name, toOutput(t as ort.Tensor));
    if (projectFrom) await ensureTensors(loaded, kept, needed);
  }
  loaded.kept.delete(keep);
  loaded.kept.set(keep, kept);
  evictKept(loaded);
  return Object.fromEntries(asked.map((name) => [name, kept.tensors.get(name)!]));
}

/** What projections from `layers` read: each plan's tensors, and every switch (they are computed together). */
function projectionTensors(loaded: Loaded, layers: string[]): string[] {
  const engine = engineFor(loaded);
  return [...new Set([...layers.flatMap((layer) => engine.fetchesFor(layer)), ...switchesOf(loaded).map((s) => s.indices)])];
}

/** Requests this process is answering; background work waits for none. */
let answering = 0;

/**
 * Fetches a kept pass's projection tensors once the process is idle: after the layer browser's pass
 * the user looks at the maps before clicking one, and the click then finds its switches ready. Starts
 * after a short pause, and waits while requests are being answered, so it never delays one that
 * arrives meanwhile for long (a pass cannot be interrupted once started). Failures are left to the
 * projection, which fetches again.
 */
function prefetchSoon(loaded: Loaded, kept: Kept, layers: string[]): Promise<void> {
  const idle = (tries: number): Promise<void> =>
    new Promise<void>((resolve) => setTimeout(resolve, PREFETCH_PAUSE_MS)).then(() => (answering > 0 && tries > 0 ? idle(tries - 1) : undefined));
  return idle(40)
    .then(async () => {
      // Evicted meanwhile, or the model closed: nothing to prepare.
      if (![...loaded.kept.values()].includes(kept) || !sessions.has(loadedKey(loaded))) return;
      await ensureTensors(loaded, kept, projectionTensors(loaded, layers));
      // A layer projected compiled builds its graph on first use (80–340 ms on real-size models): now, not on the click.
      const engine = engineFor(loaded);
      const acts = activationsOf(kept);
      for (const layer of layers) {
        if (backendFor(loaded, engine, acts, layer) !== 'compiled') continue;
        loaded.projector ??= new CompiledProjector(engine, loaded.provider);
        await loaded.projector.warm(layer, acts);
      }
    })
    .catch(() => {});
}

function activationsOf(kept: Kept): Activations {
  return new Map([...kept.tensors].map(([name, t]) => [name, { dims: t.dims, data: t.data }]));
}

const PREFETCH_PAUSE_MS = 25;

function loadedKey(loaded: Loaded): string {
  for (const [key, s] of sessions) if (s === loaded) return key;
  return '';
}

function keptBytes(k: Kept): number {
  let n = 0;
  for (const t of k.tensors.values()) n += t.data.byteLength;
  for (const t of Object.values(k.feeds)) n += (t.data as Float32Array).byteLength;
  return n;
}

/** Oldest passes go first: at most KEEP, and at most KEEP_BYTES beside the newest. */
function evictKept(loaded: Loaded): void {
  const sizes = [...loaded.kept.values()].map(keptBytes);
  let total = sizes.reduce((a, b) => a + b, 0);
  let i = 0;
  for (const id of [...loaded.kept.keys()]) {
    if (loaded.kept.size <= 1 || (loaded.kept.size <= KEEP && total <= KEEP_BYTES)) break;
    loaded.kept.delete(id);
    total -= sizes[i++];
  }
}

/** The MaxPools' switches of this session's model (a model loaded from bytes is parsed for them). */
function switchesOf(loaded: Loaded): Switches[] {
  if (!loaded.switches) engineFor(loaded);
  return loaded.switches!;
}

/** What a pass must fetch to have every switch: the switches where the session outputs them, else the pools' inputs. */
function switchSources(loaded: Loaded, kept: Kept): string[] {
  return switchesOf(loaded).flatMap((s) => (loaded.outputNames.has(s.indices) ? [s.indices] : s.input in kept.feeds ? [] : [s.input]));
}

async function poolsSession(loaded: Loaded): Promise<ort.InferenceSession> {
  if (!loaded.pools) {
    if (!loaded.poolsBytes) throw new AppError('RUNTIME_FAILED', `${loaded.name}: no switches to compute`);
    loaded.pools = await ort.InferenceSession.create(loaded.poolsBytes, { ...sessionOptions('helper'), executionProviders: ['cpu'] });
  }
  return loaded.pools;
}

/**
 * Adds `names` to a kept pass: tensors the session outputs are fetched by running the pass's input
 * again; switches the session does not output are computed from their pools' inputs by the
 * MaxPools-only graph (the model's own MaxPool nodes), so they are exactly the model's.
 */
async function ensureTensors(loaded: Loaded, kept: Kept, names: string[]): Promise<void> {
  for (const n of names) kept.asked.add(n);
  const missing = [...new Set(names)].filter((n) => !kept.tensors.has(n));
  if (missing.length === 0) return;
  const bySwitch = new Map(switchesOf(loaded).map((s) => [s.indices, s]));
  const direct = new Set<string>();
  let computeSwitches = false;
  for (const name of missing) {
    if (loaded.outputNames.has(name)) direct.add(name);
    else if (bySwitch.has(name)) computeSwitches = true;
    else throw new AppError('RUNTIME_FAILED', `${loaded.name} has no tensor "${name}"`);
  }
  if (computeSwitches) for (const t of switchSources(loaded, kept)) if (!kept.tensors.has(t)) direct.add(t);
  if (direct.size) {
    const results = await runSession(loaded, kept.feeds, [...direct]);
    for (const [name, t] of Object.entries(results)) kept.tensors.set(name, toOutput(t as ort.Tensor));
  }
  if (!computeSwitches) return;
  const outside = switchesOf(loaded).filter((s) => !kept.tensors.has(s.indices));
  if (outside.length === 0) return;
  const pools = await poolsSession(loaded);
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of pools.inputNames) {
    const t = kept.feeds[name] ?? kept.tensors.get(name);
    if (!t) throw new AppError('RUNTIME_FAILED', `${loaded.name}: the pool input "${name}" was not fetched`);
    feeds[name] = t instanceof ort.Tensor ? t : new ort.Tensor('float32', t.data as Float32Array, t.dims);
  }
  let results: ort.InferenceSession.OnnxValueMapType;
  try {
    results = await pools.run(feeds, outside.map((s) => s.indices));
  } catch (e) {
    throw new AppError('RUNTIME_FAILED', `computing the switches of ${loaded.name} failed: ${explainOrtError((e as Error).message, loaded.name)}`);
  }
  for (const [name, t] of Object.entries(results)) kept.tensors.set(name, toOutput(t as ort.Tensor));
  // The pools' inputs were for this; a caller's own fetches stay.
  for (const name of pools.inputNames) if (!kept.asked.has(name)) kept.tensors.delete(name);
}

function engineFor(loaded: Loaded): DeconvEngine {
  if (!loaded.engine) {
    if (!loaded.graph || !loaded.switches) {
      // Loaded from bytes: parsed now. findSwitches names the switches as a tapped model outputs them.
      const model = parseModel(loaded.bytes!, loaded.name);
      loaded.graph ??= analyzeGraph(model, loaded.name);
      loaded.switches ??= findSwitches(model);
      loaded.poolsBytes ??= loaded.switches.length ? switchesModel(model, loaded.switches) : null;
    }
    loaded.engine = new DeconvEngine(loaded.graph, loaded.switches);
  }
  return loaded.engine;
}

async function project(key: string, keep: string, requests: ProjectionRequest[]): Promise<Projection[]> {
  const loaded = loadedSession(key);
  const kept = loaded.kept.get(keep);
  if (!kept) throw new AppError('NOT_CACHED', 'the forward pass for this image is no longer cached');
  const engine = engineFor(loaded);
  const layers = [...new Set(requests.map((r) => r.layer))];
  // Plans first, so a bad request fails before any pass is run.
  const needed = layers.flatMap((layer) => engine.fetchesFor(layer));
  if (kept.prefetch) await kept.prefetch;
  await ensureTensors(loaded, kept, needed);
  // Used last: the newest, so what it now holds is not what eviction drops first.
  loaded.kept.delete(keep);
  loaded.kept.set(keep, kept);
  evictKept(loaded);
  const map = activationsOf(kept);
  // One backend per layer: group the requests by layer, keep their order in the reply.
  const out: Projection[] = new Array(requests.length);
  const byLayer = new Map<string, number[]>();
  requests.forEach((r, i) => byLayer.set(r.layer, [...(byLayer.get(r.layer) ?? []), i]));
  for (const [layer, idx] of byLayer) {
    const reqs = idx.map((i) => requests[i]);
    let done: Projection[];
    if (backendFor(loaded, engine, map, layer) === 'engine') {
      done = engine.projectBatch(map, reqs);
    } else {
      loaded.projector ??= new CompiledProjector(engine, loaded.provider);
      done = await loaded.projector.projectLayer(map, reqs);
    }
    idx.forEach((i, k) => (out[i] = done[k]));
  }
  return out;
}

/**
 * Above this many dense multiply-adds on the reverse path (DeconvEngine.denseMacs), onnxruntime's
 * multi-threaded kernels beat the engine's single-threaded fast path on CPU. Measured (npm run bench,
 * 2 cores): the zf224 fixture's conv5 (49 M) 1.9 ms in the engine; AlexNet's conv5 (≈ 0.66 G) 23 ms in
 * the engine against 5.8 ms compiled, ZF's 53 against 10 ms, ResNet18's layer4 1165 against 18 ms.
 */
const COMPILED_ABOVE_MACS = 100e6;

function backendFor(loaded: Loaded, engine: DeconvEngine, acts: Activations, layer: string): 'engine' | 'compiled' {
  if (loaded.backend !== 'auto') return loaded.backend;
  let chosen = loaded.byLayer.get(layer);
  if (!chosen) {
    chosen = engine.denseMacs(acts, layer) > COMPILED_ABOVE_MACS ? 'compiled' : 'engine';
    loaded.byLayer.set(layer, chosen);
  }
  return chosen;
}

async function value(req: RuntimeRequest, progress: (p: RuntimeProgress) => void): Promise<unknown> {
  switch (req.type) {
    case 'open': {
      const opened = await open(req, progress);
      collect();
      return opened;
    }
    case 'load':
      return install(req.key, req.bytes, req.key, req.providers, req.providerReason, req.deconv, { bytes: req.bytes, fileKey: null });
    case 'describe':
      return describe(req.file);
    case 'run':
      return run(req.key, req.feeds, req.fetches, req.keep, req.projectFrom, req.soon);
    case 'weights':
      return weights(req.key, req.names);
    case 'prepare':
      return { skipped: [...engineFor(loadedSession(req.key)).plan(req.layer).skipped] };
    case 'project':
      return project(req.key, req.keep, req.requests);
    case 'release':
      await releaseKey(req.key);
      collect();
      return null;
  }
}

/** Answers one request; `notify` carries its progress messages (opening a model) before the answer. */
export async function handle(req: RuntimeRequest, notify: (r: RuntimeResponse) => void = () => {}): Promise<RuntimeResponse> {
  answering++;
  try {
    return { id: req.id, ok: true, value: await value(req, (progress) => notify({ id: req.id, progress })) };
  } catch (e) {
    return { id: req.id, ok: false, error: toErrorInfo(e) };
  } finally {
    answering--;
  }
}
