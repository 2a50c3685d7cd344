// Runs in the runtime process: the only place models are parsed and inference happens, because
// onnxruntime-node's create() and run() block the JavaScript thread for their whole duration, and a
// native fault in onnxruntime (an abort, a segfault, an out-of-memory on a hostile model) must end
// only this process, never the app (see process-host.ts).
import { stat } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ModelProto, TensorProto } from 'onnx-buf';
import { toErrorInfo, AppError } from '../../common/errors.ts';
import type { Provider } from '../../common/api.ts';
import { DeconvEngine, type Activations, type Projection, type ProjectionRequest } from '../deconv/index.ts';
import {
  analyzeGraph, channelsFirstBytes, detachFromFile, findSwitches, loadModelFile, referencingFile, serializeModel, serveTapped, switchesModel, withDistances, withMeans, withOutputs,
  type GraphSummary, type ReadFile, type Switches,
} from '../onnx/index.ts';
import { CompiledProjector } from './compiled-projector.ts';
import { byReference, fileKeyOf, keepByReference } from './opened-files.ts';
import { createSessionOf, type SessionBytes } from './session-create.ts';
import { outline } from './outline.ts';
import {
  activationsOf, engineFor, ensureTensors, evictKept, projectionTensors, runSession, switchSources, toOutput, type Kept, type Loaded,
} from './loaded-model.ts';
import type {
  FeedTensor, GraphOutline, IoMeta, LoadResult, ModelRewrite, ModelSource, OpenResult, OutputTensor, RuntimeProgress, RuntimeRequest, RuntimeResponse,
} from './protocol.ts';
import type { DeconvBackend } from './provider.ts';

// onnxruntime's warnings are ANSI-coloured lines on stderr; errors reach the user as messages instead.
ort.env.logLevel = 'error';

/** The models loaded in this process, by key (loaded-model.ts). */
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

async function install(key: string, bytes: SessionBytes, inline: () => Promise<Uint8Array>, name: string, providers: Provider[], reason: string, deconv: DeconvBackend, keeps: Keeps): Promise<LoadResult> {
  await releaseKey(key);
  const { session, provider, providerReason, referenced } = await createSessionOf(bytes, inline, name, providers, reason);
  const inputs = meta(session.inputMetadata);
  const backend = deconv === 'compiled' || (deconv === 'auto' && provider === 'cuda') ? 'compiled' : deconv === 'engine' ? 'engine' : 'auto';
  sessions.set(key, {
    session, inputs, outputNames: new Set(session.outputNames), name, graph: null, switches: null, poolsBytes: null, pools: null, ...keeps,
    engine: null, kept: new Map(), provider, projector: null, backend, byLayer: new Map(),
  });
  return { provider, providerReason, deconvBackend: backend, inputs, outputs: meta(session.outputMetadata), weightsByReference: referenced };
}

/** The file read and parsed; `describe` followed by `open` of the same file parses it once. */
async function parsedFile(source: ModelSource, fileKey: string): Promise<{ model: ModelProto; fileKey: string; read: ReadFile | null }> {
  if (described?.fileKey === fileKey) return { model: described.model, fileKey, read: described.read };
  const { model, bytes } = await loadModelFile(source.file);
  return { model, fileKey, read: { file: source.file, bytes, mtimeMs: source.mtimeMs, size: source.size } };
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
    case 'means':
      return withMeans(model, rewrite.layers, opset);
  }
}

/** The stages of opening a model, as the open job reports them (the last is the main side's zero pass). */
export const OPEN_STAGES = 4;

async function open(req: Extract<RuntimeRequest, { type: 'open' }>, progress: (p: RuntimeProgress) => void): Promise<OpenResult> {
  const { source } = req;
  const name = path.basename(source.file);
  const { rewrite } = source;
  const total = OPEN_STAGES;
  // A copy of a model already open is made from its graph by reference: the file is not read again.
  const fileKey = await fileKeyOf(source);
  const known = rewrite.kind === 'tap-all' ? undefined : byReference.get(fileKey);
  if (!known) progress({ stage: `reading ${name} (${Math.round(source.size / 1e6)} MB)`, done: 0, total });
  const parsed = known ? null : await parsedFile(source, fileKey);
  const light = known ?? (parsed?.read ? referencingFile(parsed.model, parsed.read) : null);
  if (parsed) keepByReference(fileKey, light);
  const full = async () => parsed?.model ?? (await parsedFile(source, await fileKeyOf(source))).model;
  progress({ stage: rewrite.kind === 'tap-all' ? 'adding the taps' : 'preparing the copy', done: 1, total });
  const keeps: Keeps = { bytes: null, fileKey };
  let graph: GraphSummary | null = null;
  let make: (m: ModelProto) => Uint8Array;
  if (rewrite.kind === 'tap-all') {
    const { model, read } = parsed!;
    graph = analyzeGraph(model, source.file);
    const ids = graph.layers.map((l) => l.id);
    make = (m) => serveTapped(m, ids).bytes;
    keeps.switches = findSwitches(model);
    keeps.poolsBytes = keeps.switches.length ? switchesModel(model, keeps.switches) : null;
    // The engine's graph keeps nothing of the file's buffer, nor does the outline sent back (it is
    // read from it), so the buffer goes with the parsed model.
    if (read) graph = detachFromFile(graph, read);
    keeps.graph = graph;
  } else {
    const m = light?.model ?? parsed!.model;
    const opset = Number(m.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0);
    make = (x) => serializeModel(rewritten(x, rewrite, opset));
  }
  const bytes: SessionBytes = light ? { bytes: make(light.model), externalFolder: light.folder, referenced: light.referenced } : { bytes: make(parsed!.model) };
  if (described?.fileKey === fileKey) described = null;
  progress({ stage: 'loading into onnxruntime', done: 2, total });
  const loaded = await install(req.key, bytes, async () => make(await full()), name, req.providers, req.providerReason, req.deconv, keeps);
  return { ...loaded, graph: graph ? outline(graph, true) : null };
}

async function describe(file: string): Promise<GraphOutline> {
  const st = await stat(file).catch(() => null);
  if (!st) throw new AppError('MODEL_READ_FAILED', `${path.basename(file)}: no such file (${file})`, { file });
  const source: ModelSource = { file, rewrite: { kind: 'tap-all' }, mtimeMs: st.mtimeMs, size: st.size };
  const { model, fileKey, read } = await parsedFile(source, await fileKeyOf(source));
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

function loadedSession(key: string): Loaded {
  const loaded = sessions.get(key);
  if (!loaded) throw new AppError('RUNTIME_FAILED', 'the model session is not loaded');
  return loaded;
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

const PREFETCH_PAUSE_MS = 25;

function loadedKey(loaded: Loaded): string {
  for (const [key, s] of sessions) if (s === loaded) return key;
  return '';
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
    case 'load': {
      // A channels-last model's session takes N×C×H×W, as the graph the engine plans with says (onnx/layout.ts).
      const bytes = channelsFirstBytes(req.bytes, req.key);
      return install(req.key, { bytes }, async () => bytes, req.key, req.providers, req.providerReason, req.deconv, { bytes, fileKey: null });
    }
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
