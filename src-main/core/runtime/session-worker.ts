// Runs in a worker thread (or child process): the only place inference happens, because
// onnxruntime-node's create() and run() block the JavaScript thread for their whole duration.
import * as ort from 'onnxruntime-node';
import { toErrorInfo, AppError } from '../../common/errors.ts';
import type { Provider } from '../../common/api.ts';
import { DeconvEngine, type Projection, type ProjectionRequest } from '../deconv/index.ts';
import { analyzeGraph, parseModel, tapModel } from '../onnx/index.ts';
import { CompiledProjector } from './compiled-projector.ts';
import type { FeedTensor, IoMeta, LoadResult, OutputTensor, WorkerRequest, WorkerResponse } from './protocol.ts';
import type { DeconvBackend } from './provider.ts';

interface Loaded {
  session: ort.InferenceSession;
  inputs: IoMeta[];
  /** The (tapped) model, kept to build the deconv engine on first use. */
  bytes: Uint8Array;
  engine: DeconvEngine | null;
  provider: Provider;
  /** Set when projections run compiled to ONNX (under CUDA, or when asked for). */
  projector: CompiledProjector | null;
  compiled: boolean;
  /** Forward passes kept for projections (a click reuses the image's activations and switches). */
  kept: Map<string, Record<string, OutputTensor>>;
}

const KEEP = 3;

const sessions = new Map<string, Loaded>();

function meta(list: readonly ort.InferenceSession.ValueMetadata[]): IoMeta[] {
  return list.map((m) =>
    m.isTensor
      ? { name: m.name, type: String(m.type), shape: m.shape.map((d) => (typeof d === 'number' ? d : String(d))) }
      : { name: m.name, type: 'non-tensor', shape: [] },
  );
}

async function load(key: string, bytes: Uint8Array, providers: Provider[], reason: string, deconv: DeconvBackend): Promise<LoadResult> {
  const old = sessions.get(key);
  if (old) {
    await old.session.release();
    await old.projector?.release();
    sessions.delete(key);
  }
  let session: ort.InferenceSession | null = null;
  let provider: Provider = 'cpu';
  let providerReason = reason;
  if (providers[0] === 'cuda') {
    try {
      session = await ort.InferenceSession.create(bytes, { executionProviders: ['cuda', 'cpu'] });
      provider = 'cuda';
    } catch (e) {
      providerReason = `the CUDA provider failed to start (${(e as Error).message.split('\n')[0]})`;
    }
  }
  if (!session) {
    try {
      session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
    } catch (e) {
      throw new AppError('MODEL_UNSUPPORTED', `onnxruntime cannot run this model: ${(e as Error).message}`);
    }
  }
  const inputs = meta(session.inputMetadata);
  const compiled = deconv === 'compiled' || (deconv === 'auto' && provider === 'cuda');
  sessions.set(key, { session, inputs, bytes, engine: null, kept: new Map(), provider, projector: null, compiled });
  return { provider, providerReason, inputs, outputs: meta(session.outputMetadata) };
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

function toOutput(t: ort.Tensor): OutputTensor {
  const dims = [...t.dims];
  if (t.type === 'float32') return { dims, type: 'float32', data: t.data as Float32Array };
  if (t.type === 'int64') {
    const big = t.data as BigInt64Array;
    // Switch indices are flat positions; they fit 32 bits for any batch we run, and Int32 is cheaper downstream.
    let fits = true;
    for (let i = 0; i < big.length; i++) if (big[i] > 2147483647n || big[i] < -2147483648n) { fits = false; break; }
    if (!fits) return { dims, type: 'int64', data: big };
    const out = new Int32Array(big.length);
    for (let i = 0; i < big.length; i++) out[i] = Number(big[i]);
    return { dims, type: 'int64', data: out };
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
    throw new AppError('RUNTIME_FAILED', `inference failed: ${(e as Error).message}`);
  }
  const all: Record<string, OutputTensor> = {};
  for (const [name, t] of Object.entries(results)) all[name] = toOutput(t as ort.Tensor);
  if (!keep) return all;
  loaded.kept.delete(keep);
  loaded.kept.set(keep, all);
  while (loaded.kept.size > KEEP) loaded.kept.delete(loaded.kept.keys().next().value as string);
  // Copies: the reply's buffers are transferred, and the kept ones must stay usable here.
  const out: Record<string, OutputTensor> = {};
  for (const name of fetches.length ? fetches : Object.keys(all)) {
    const t = all[name];
    if (!t) throw new AppError('RUNTIME_FAILED', `the model has no tensor "${name}"`);
    out[name] = { ...t, data: t.data.slice() } as OutputTensor;
  }
  return out;
}

function engineFor(loaded: Loaded, key: string): DeconvEngine {
  if (!loaded.engine) {
    const model = parseModel(loaded.bytes, key);
    loaded.engine = new DeconvEngine(analyzeGraph(model, key), tapModel(model, 'all').switches);
  }
  return loaded.engine;
}

async function project(key: string, keep: string, requests: ProjectionRequest[]): Promise<Projection[]> {
  const loaded = loadedSession(key);
  const acts = loaded.kept.get(keep);
  if (!acts) throw new AppError('NOT_CACHED', 'the forward pass for this image is no longer cached');
  const engine = engineFor(loaded, key);
  const map = new Map(Object.entries(acts).map(([name, t]) => [name, { dims: t.dims, data: t.data }]));
  if (!loaded.compiled) return engine.projectBatch(map, requests);
  loaded.projector ??= new CompiledProjector(engine, loaded.provider);
  // One compiled graph per layer: group the requests by layer, keep their order in the reply.
  const out: Projection[] = new Array(requests.length);
  const byLayer = new Map<string, number[]>();
  requests.forEach((r, i) => byLayer.set(r.layer, [...(byLayer.get(r.layer) ?? []), i]));
  for (const [, idx] of byLayer) {
    const done = await loaded.projector.projectLayer(map, idx.map((i) => requests[i]));
    idx.forEach((i, k) => (out[i] = done[k]));
  }
  return out;
}

export async function handle(req: WorkerRequest): Promise<WorkerResponse> {
  try {
    switch (req.type) {
      case 'load':
        return { id: req.id, ok: true, value: await load(req.key, req.bytes, req.providers, req.providerReason, req.deconv) };
      case 'run':
        return { id: req.id, ok: true, value: await run(req.key, req.feeds, req.fetches, req.keep) };
      case 'prepare': {
        const plan = engineFor(loadedSession(req.key), req.key).plan(req.layer);
        return { id: req.id, ok: true, value: { skipped: [...plan.skipped] } };
      }
      case 'project':
        return { id: req.id, ok: true, value: await project(req.key, req.keep, req.requests) };
      case 'release': {
        const s = sessions.get(req.key);
        sessions.delete(req.key);
        if (s) {
          await s.session.release();
          await s.projector?.release();
        }
        return { id: req.id, ok: true, value: null };
      }
    }
  } catch (e) {
    return { id: (req as { id: number }).id, ok: false, error: toErrorInfo(e) };
  }
}

export function transferList(resp: WorkerResponse): ArrayBuffer[] {
  if (!resp.ok || !resp.value || typeof resp.value !== 'object') return [];
  const list: ArrayBuffer[] = [];
  for (const v of Object.values(resp.value as Record<string, unknown> | unknown[])) {
    const data = (v as { data?: unknown })?.data;
    if (ArrayBuffer.isView(data) && data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) {
      list.push(data.buffer);
    }
  }
  return list;
}
