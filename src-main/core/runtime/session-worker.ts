// Runs in the runtime process: the only place models are parsed and inference happens, because
// onnxruntime-node's create() and run() block the JavaScript thread for their whole duration, and a
// native fault in onnxruntime (an abort, a segfault, an out-of-memory on a hostile model) must end
// only this process, never the app (see process-host.ts).
import { stat } from 'node:fs/promises';
import { endianness } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ModelProto } from 'onnx-buf';
import { toErrorInfo, AppError } from '../../common/errors.ts';
import type { Provider } from '../../common/api.ts';
import { DeconvEngine, type Activations, type Projection, type ProjectionRequest } from '../deconv/index.ts';
import { analyzeGraph, findSwitches, loadModelFile, parseModel, serializeModel, tapModel, withDistances, withOutputs, type GraphSummary } from '../onnx/index.ts';
import { CompiledProjector } from './compiled-projector.ts';
import { explainOrtError } from './ort-errors.ts';
import type {
  FeedTensor, GraphOutline, IoMeta, LoadResult, ModelRewrite, ModelSource, OpenResult, OutputTensor, RuntimeRequest, RuntimeResponse,
} from './protocol.ts';
import type { DeconvBackend } from './provider.ts';

// onnxruntime's warnings are ANSI-coloured lines on stderr; errors reach the user as messages instead.
ort.env.logLevel = 'error';
const SESSION_LOG = { logSeverityLevel: 3 as const, logVerbosityLevel: 0 };

interface Loaded {
  session: ort.InferenceSession;
  inputs: IoMeta[];
  /** The file's name for messages. */
  name: string;
  /** The model as parsed (before any rewrite), kept to build the deconv engine on first use and to derive copies. */
  model: ModelProto | null;
  /** For models loaded from bytes: parsed on first projection. */
  bytes: Uint8Array | null;
  /** The parsed model's graph analysis, when open() made it (the session itself). */
  graph: GraphSummary | null;
  /** `path|mtime|size` of the file this was opened from: copies of the same file share its parse. */
  fileKey: string | null;
  engine: DeconvEngine | null;
  provider: Provider;
  /** Set once a projection runs compiled to ONNX. */
  projector: CompiledProjector | null;
  /** Where projections run: always compiled (CUDA, or asked for), always the engine, or by each layer's size ('auto' on CPU). */
  backend: 'engine' | 'compiled' | 'auto';
  /** Under 'auto': the backend chosen per layer, on its first projection. */
  byLayer: Map<string, 'engine' | 'compiled'>;
  /** Forward passes kept for projections (a click reuses the image's activations and switches). */
  kept: Map<string, Record<string, OutputTensor>>;
}

const KEEP = 3;

const sessions = new Map<string, Loaded>();

/**
 * The model `describe` parsed last, for the `open` that usually follows it (a command chooses what
 * to load from the graph): the file is then parsed once. An open of it takes it over.
 */
let described: { fileKey: string; model: ModelProto } | null = null;

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
      return { session: await ort.InferenceSession.create(bytes, { ...SESSION_LOG, executionProviders: ['cuda', 'cpu'] }), provider: 'cuda', providerReason: reason };
    } catch (e) {
      reason = `the CUDA provider failed to start (${explainOrtError((e as Error).message, name).split('\n')[0]})`;
    }
  }
  try {
    return { session: await ort.InferenceSession.create(bytes, { ...SESSION_LOG, executionProviders: ['cpu'] }), provider: 'cpu', providerReason: reason };
  } catch (e) {
    const why = explainOrtError((e as Error).message, name);
    throw new AppError('MODEL_UNSUPPORTED', why.startsWith(name) ? why : `onnxruntime cannot run ${name}: ${why}`);
  }
}

async function releaseKey(key: string): Promise<void> {
  const s = sessions.get(key);
  sessions.delete(key);
  if (s) {
    await s.session.release();
    await s.projector?.release();
  }
}

async function install(
  key: string, bytes: Uint8Array, name: string, providers: Provider[], reason: string, deconv: DeconvBackend,
  keepModel: { model: ModelProto | null; bytes: Uint8Array | null; fileKey: string | null; graph?: GraphSummary | null },
): Promise<LoadResult> {
  await releaseKey(key);
  const { session, provider, providerReason } = await createSession(bytes, name, providers, reason);
  const inputs = meta(session.inputMetadata);
  const backend = deconv === 'compiled' || (deconv === 'auto' && provider === 'cuda') ? 'compiled' : deconv === 'engine' ? 'engine' : 'auto';
  sessions.set(key, { session, inputs, name, graph: null, ...keepModel, engine: null, kept: new Map(), provider, projector: null, backend, byLayer: new Map() });
  return { provider, providerReason, deconvBackend: backend, inputs, outputs: meta(session.outputMetadata) };
}

/** The file parsed once per content: a session and its light copies share one parse. */
async function parsedFile(source: ModelSource): Promise<{ model: ModelProto; fileKey: string }> {
  const st = await stat(source.file).catch(() => null);
  const name = path.basename(source.file);
  if (!st) throw new AppError('MODEL_READ_FAILED', `${name}: the file is gone (${source.file})`, { file: source.file });
  if (st.mtimeMs !== source.mtimeMs || st.size !== source.size) {
    throw new AppError('MODEL_READ_FAILED', `${name} changed on disk since it was opened; open it again`, { file: source.file });
  }
  const fileKey = `${source.file}|${st.mtimeMs}|${st.size}`;
  for (const s of sessions.values()) if (s.fileKey === fileKey && s.model) return { model: s.model, fileKey };
  if (described?.fileKey === fileKey) return { model: described.model, fileKey };
  return { model: (await loadModelFile(source.file)).model, fileKey };
}

/** The summary without the constants the main thread never reads: only the spine's Conv weights stay (for spectra). */
function outline(graph: GraphSummary): GraphOutline {
  const keep = new Set<string>();
  for (const l of graph.layers) {
    if (l.op !== 'Conv') continue;
    const node = graph.nodes.find((n) => n.name === l.node);
    if (node?.inputs[1]) keep.add(node.inputs[1]);
  }
  return { ...graph, initializers: new Map([...graph.initializers].filter(([k]) => keep.has(k))) };
}

function rewritten(model: ModelProto, rewrite: ModelRewrite, opset: number): ModelProto {
  switch (rewrite.kind) {
    case 'tap-all':
      return tapModel(model, 'all').model;
    case 'outputs':
      return withOutputs(model, rewrite.tensors);
    case 'distances':
      return withDistances(model, rewrite.layers, opset);
  }
}

async function open(req: Extract<RuntimeRequest, { type: 'open' }>): Promise<OpenResult> {
  const { source } = req;
  const name = path.basename(source.file);
  const { model, fileKey } = await parsedFile(source);
  const graph = source.rewrite.kind === 'tap-all' ? analyzeGraph(model, source.file) : null;
  const opset = Number(model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0);
  const bytes = serializeModel(rewritten(model, source.rewrite, opset));
  const loaded = await install(req.key, bytes, name, req.providers, req.providerReason, req.deconv, { model, bytes: null, fileKey, graph });
  if (described?.fileKey === fileKey) described = null;
  return { ...loaded, graph: graph ? outline(graph) : null };
}

async function describe(file: string): Promise<GraphOutline> {
  const st = await stat(file).catch(() => null);
  if (!st) throw new AppError('MODEL_READ_FAILED', `${path.basename(file)}: no such file (${file})`, { file });
  const { model, fileKey } = await parsedFile({ file, rewrite: { kind: 'tap-all' }, mtimeMs: st.mtimeMs, size: st.size });
  const graph = outline(analyzeGraph(model, file));
  described = { fileKey, model };
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

async function run(key: string, feeds: Record<string, FeedTensor>, fetches: string[], keep?: string): Promise<Record<string, OutputTensor>> {
  const loaded = loadedSession(key);
  checkFeeds(loaded.inputs, feeds);
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, f] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor('float32', f.data, f.dims);
  let results: ort.InferenceSession.OnnxValueMapType;
  try {
    // A kept pass fetches every tap, so later projections of any layer need no new forward pass.
    results = keep || !fetches.length ? await loaded.session.run(ortFeeds) : await loaded.session.run(ortFeeds, fetches);
  } catch (e) {
    throw new AppError('RUNTIME_FAILED', `inference on ${loaded.name} failed: ${explainOrtError((e as Error).message, loaded.name)}`);
  }
  const all: Record<string, OutputTensor> = {};
  for (const [name, t] of Object.entries(results)) {
    // Taps of non-float tensors (shape arithmetic beside the spine) are not read by anything here.
    if ((t as ort.Tensor).type !== 'float32' && (t as ort.Tensor).type !== 'int64' && !fetches.includes(name)) continue;
    all[name] = toOutput(t as ort.Tensor);
  }
  if (!keep) return all;
  loaded.kept.delete(keep);
  loaded.kept.set(keep, all);
  while (loaded.kept.size > KEEP) loaded.kept.delete(loaded.kept.keys().next().value as string);
  const out: Record<string, OutputTensor> = {};
  for (const name of fetches.length ? fetches : Object.keys(all)) {
    const t = all[name];
    if (!t) throw new AppError('RUNTIME_FAILED', `${loaded.name} has no tensor "${name}"`);
    out[name] = t;
  }
  return out;
}

function engineFor(loaded: Loaded, key: string): DeconvEngine {
  if (!loaded.engine) {
    // The file as parsed, not a tapped copy: its weights are the engine's, with no second copy of them.
    // findSwitches names the switches as the tapped session outputs them.
    const model = loaded.model ?? parseModel(loaded.bytes!, key);
    loaded.engine = new DeconvEngine(loaded.graph ?? analyzeGraph(model, loaded.name), findSwitches(model));
  }
  return loaded.engine;
}

async function project(key: string, keep: string, requests: ProjectionRequest[]): Promise<Projection[]> {
  const loaded = loadedSession(key);
  const acts = loaded.kept.get(keep);
  if (!acts) throw new AppError('NOT_CACHED', 'the forward pass for this image is no longer cached');
  const engine = engineFor(loaded, key);
  const map = new Map(Object.entries(acts).map(([name, t]) => [name, { dims: t.dims, data: t.data }]));
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

async function value(req: RuntimeRequest): Promise<unknown> {
  switch (req.type) {
    case 'open':
      return open(req);
    case 'load':
      return install(req.key, req.bytes, req.key, req.providers, req.providerReason, req.deconv, { model: null, bytes: req.bytes, fileKey: null });
    case 'describe':
      return describe(req.file);
    case 'run':
      return run(req.key, req.feeds, req.fetches, req.keep);
    case 'prepare':
      return { skipped: [...engineFor(loadedSession(req.key), req.key).plan(req.layer).skipped] };
    case 'project':
      return project(req.key, req.keep, req.requests);
    case 'release':
      await releaseKey(req.key);
      return null;
  }
}

export async function handle(req: RuntimeRequest): Promise<RuntimeResponse> {
  try {
    return { id: req.id, ok: true, value: await value(req) };
  } catch (e) {
    return { id: req.id, ok: false, error: toErrorInfo(e) };
  }
}
