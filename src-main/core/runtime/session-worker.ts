// Runs in a worker thread (or child process): the only place inference happens, because
// onnxruntime-node's create() and run() block the JavaScript thread for their whole duration.
import * as ort from 'onnxruntime-node';
import { toErrorInfo, AppError } from '../../common/errors.ts';
import type { Provider } from '../../common/api.ts';
import type { FeedTensor, IoMeta, LoadResult, OutputTensor, WorkerRequest, WorkerResponse } from './protocol.ts';

interface Loaded {
  session: ort.InferenceSession;
  inputs: IoMeta[];
}

const sessions = new Map<string, Loaded>();

function meta(list: readonly ort.InferenceSession.ValueMetadata[]): IoMeta[] {
  return list.map((m) =>
    m.isTensor
      ? { name: m.name, type: String(m.type), shape: m.shape.map((d) => (typeof d === 'number' ? d : String(d))) }
      : { name: m.name, type: 'non-tensor', shape: [] },
  );
}

async function load(key: string, bytes: Uint8Array, providers: Provider[], reason: string): Promise<LoadResult> {
  const old = sessions.get(key);
  if (old) {
    await old.session.release();
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
  sessions.set(key, { session, inputs });
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

async function run(key: string, feeds: Record<string, FeedTensor>, fetches: string[]): Promise<Record<string, OutputTensor>> {
  const loaded = sessions.get(key);
  if (!loaded) throw new AppError('RUNTIME_FAILED', 'the model session is not loaded');
  checkFeeds(loaded.inputs, feeds);
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, f] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor('float32', f.data, f.dims);
  let results: ort.InferenceSession.OnnxValueMapType;
  try {
    results = fetches.length ? await loaded.session.run(ortFeeds, fetches) : await loaded.session.run(ortFeeds);
  } catch (e) {
    throw new AppError('RUNTIME_FAILED', `inference failed: ${(e as Error).message}`);
  }
  const out: Record<string, OutputTensor> = {};
  for (const [name, t] of Object.entries(results)) out[name] = toOutput(t as ort.Tensor);
  return out;
}

export async function handle(req: WorkerRequest): Promise<WorkerResponse> {
  try {
    switch (req.type) {
      case 'load':
        return { id: req.id, ok: true, value: await load(req.key, req.bytes, req.providers, req.providerReason) };
      case 'run':
        return { id: req.id, ok: true, value: await run(req.key, req.feeds, req.fetches) };
      case 'release': {
        const s = sessions.get(req.key);
        sessions.delete(req.key);
        if (s) await s.session.release();
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
  for (const v of Object.values(resp.value as Record<string, unknown>)) {
    const data = (v as { data?: unknown })?.data;
    if (ArrayBuffer.isView(data) && data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) {
      list.push(data.buffer);
    }
  }
  return list;
}
