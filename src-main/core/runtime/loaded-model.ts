// A model loaded in the runtime process (session-worker.ts), and the forward passes it keeps for
// projections: what a pass fetched, the switches computed from its pools' inputs on demand (by the
// model's own MaxPool nodes, tap.ts switchesModel), and the bounds on what is kept.
import { endianness } from 'node:os';
import * as ort from 'onnxruntime-node';
import { AppError } from '../../common/errors.ts';
import type { Provider } from '../../common/api.ts';
import { DeconvEngine, type Activations } from '../deconv/index.ts';
import { analyzeGraph, findSwitches, parseModel, switchesModel, type GraphSummary, type Switches } from '../onnx/index.ts';
import type { CompiledProjector } from './compiled-projector.ts';
import { explainOrtError } from './ort-errors.ts';
import { sessionOptions } from './ort-options.ts';
import type { IoMeta, OutputTensor } from './protocol.ts';

/** A forward pass kept for projections: its input, and the tensors fetched or computed so far. */
export interface Kept {
  feeds: Record<string, ort.Tensor>;
  tensors: Map<string, OutputTensor>;
  /** What a caller asked for (the rest, pool inputs fetched to compute switches, is let go after). */
  asked: Set<string>;
  /** Projections' tensors being fetched in the background (run's `soon`); a projection waits for it. */
  prefetch: Promise<void> | null;
}

export interface Loaded {
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
export const KEEP = 3;
export const KEEP_BYTES = 256 * 1024 * 1024;


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

export function toOutput(t: ort.Tensor): OutputTensor {
  const dims = [...t.dims];
  if (t.type === 'float32') return { dims, type: 'float32', data: t.data as Float32Array };
  if (t.type === 'int64') {
    // Switch indices are flat positions; they fit 32 bits for any batch we run, and Int32 is cheaper downstream.
    const small = toInt32(t.data as BigInt64Array);
    return { dims, type: 'int64', data: small ?? (t.data as BigInt64Array) };
  }
  throw new AppError('MODEL_UNSUPPORTED', `output of type ${t.type} is not supported`);
}


export async function runSession(loaded: Loaded, feeds: Record<string, ort.Tensor>, fetches?: string[]): Promise<ort.InferenceSession.OnnxValueMapType> {
  try {
    return fetches ? await loaded.session.run(feeds, fetches) : await loaded.session.run(feeds);
  } catch (e) {
    throw new AppError('RUNTIME_FAILED', `inference on ${loaded.name} failed: ${explainOrtError((e as Error).message, loaded.name)}`);
  }
}


/** What projections from `layers` read: each plan's tensors, and every switch (they are computed together). */
export function projectionTensors(loaded: Loaded, layers: string[]): string[] {
  const engine = engineFor(loaded);
  return [...new Set([...layers.flatMap((layer) => engine.fetchesFor(layer)), ...switchesOf(loaded).map((s) => s.indices)])];
}


export function activationsOf(kept: Kept): Activations {
  return new Map([...kept.tensors].map(([name, t]) => [name, { dims: t.dims, data: t.data }]));
}


export function keptBytes(k: Kept): number {
  let n = 0;
  for (const t of k.tensors.values()) n += t.data.byteLength;
  for (const t of Object.values(k.feeds)) n += (t.data as Float32Array).byteLength;
  return n;
}

/** Oldest passes go first: at most KEEP, and at most KEEP_BYTES beside the newest. */
export function evictKept(loaded: Loaded): void {
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
export function switchesOf(loaded: Loaded): Switches[] {
  if (!loaded.switches) engineFor(loaded);
  return loaded.switches!;
}

/** What a pass must fetch to have every switch: the switches where the session outputs them, else the pools' inputs. */
export function switchSources(loaded: Loaded, kept: Kept): string[] {
  return switchesOf(loaded).flatMap((s) => (loaded.outputNames.has(s.indices) ? [s.indices] : s.input in kept.feeds ? [] : [s.input]));
}

export async function poolsSession(loaded: Loaded): Promise<ort.InferenceSession> {
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
export async function ensureTensors(loaded: Loaded, kept: Kept, names: string[]): Promise<void> {
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

export function engineFor(loaded: Loaded): DeconvEngine {
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

