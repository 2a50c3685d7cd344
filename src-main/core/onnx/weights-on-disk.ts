// A parsed model's constants without the file's bytes. protobuf-es hands every raw_data out as a
// view into the buffer the file was read into, so one kept constant keeps all of a 250 MB file in
// memory. After a model is loaded, the runtime process holds its weights once, in onnxruntime; the
// deconv engine reads back from disk only the constants of the layers it plans (DESIGN §1, memory).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { clone, fromBinary, toBinary } from '@bufbuild/protobuf';
import { GraphProtoSchema, type TensorProto, TensorProtoSchema } from 'onnx-buf';
import { displayName, ModelError } from './errors.ts';
import type { GraphSummary } from './graph.ts';
import type { AttrValue, NodeDesc } from './nodes.ts';

/** The file a model was parsed from: its bytes as read, and the stat that names this content. */
export interface ReadFile {
  file: string;
  bytes: Uint8Array;
  mtimeMs: number;
  size: number;
}

/** Views at least this large are read back from disk when asked for; smaller ones are copied. */
const ON_DISK_FROM = 64 * 1024;

interface Span {
  offset: number;
  length: number;
}

/**
 * Constants by name, as a Map: the large ones are read from the file on each `get` (the engine
 * converts and keeps what it plans with), refusing a file that changed since it was read.
 */
export class WeightsOnDisk extends Map<string, TensorProto> {
  private readonly spans = new Map<string, Span>();

  constructor(
    private readonly source: { file: string; mtimeMs: number; size: number },
  ) {
    super();
  }

  /** Keeps `t` under `name` without its bytes, to read `span` of the file back on `get`. */
  putOnDisk(name: string, t: TensorProto, span: Span): void {
    const light = ownTensor(t, new Uint8Array(0));
    this.spans.set(name, span);
    super.set(name, light);
  }

  override get(name: string): TensorProto | undefined {
    const light = super.get(name);
    const span = this.spans.get(name);
    if (!light || !span) return light;
    const t = clone(TensorProtoSchema, light);
    t.rawData = this.read(span);
    return t;
  }

  /** Bytes of the constants held in memory (the small ones), for tests. */
  get inMemoryBytes(): number {
    let n = 0;
    for (const [name, t] of super.entries()) if (!this.spans.has(name)) n += t.rawData.byteLength;
    return n;
  }

  private read(span: Span): Uint8Array<ArrayBuffer> {
    const { file, mtimeMs, size } = this.source;
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (e) {
      throw new ModelError('MODEL_READ_FAILED', `${displayName(file)}: cannot read its weights back (${(e as Error).message}); open it again`, file);
    }
    try {
      const st = fstatSync(fd);
      if (st.mtimeMs !== mtimeMs || st.size !== size) {
        throw new ModelError('MODEL_READ_FAILED', `${displayName(file)} changed on disk since it was opened; open it again`, file);
      }
      const out = new Uint8Array(span.length);
      let got = 0;
      while (got < span.length) {
        const n = readSync(fd, out, got, span.length - got, span.offset + got);
        if (n === 0) throw new ModelError('MODEL_READ_FAILED', `${displayName(file)} ended early while reading its weights back; open it again`, file);
        got += n;
      }
      return out;
    } finally {
      closeSync(fd);
    }
  }
}

/** Where `view` lies in the file's bytes, or null when it is not a view of them. */
function spanIn(view: Uint8Array, read: ReadFile): Span | null {
  if (view.buffer !== read.bytes.buffer) return null;
  return { offset: view.byteOffset - read.bytes.byteOffset, length: view.byteLength };
}

/**
 * A tensor that keeps nothing of the file's buffer. Not protobuf-es's clone alone: parsed from a
 * Node Buffer, bytes fields are Buffers, whose slice() is a view.
 */
function ownTensor(t: TensorProto, rawData: Uint8Array<ArrayBuffer> = new Uint8Array(t.rawData)): TensorProto {
  const c = clone(TensorProtoSchema, { ...t, rawData: new Uint8Array(0), stringData: [] } as TensorProto);
  c.rawData = rawData;
  c.stringData = t.stringData.map((b) => new Uint8Array(b));
  return c;
}

/** A tensor or subgraph attribute, re-read from its own bytes: small, and free of the file's buffer. */
function ownAttr(v: AttrValue): AttrValue {
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'object' ? ownAttr(x) : x)) as AttrValue;
  if (typeof v !== 'object') return v;
  return v.$typeName === 'onnx.TensorProto'
    ? fromBinary(TensorProtoSchema, new Uint8Array(toBinary(TensorProtoSchema, v)))
    : fromBinary(GraphProtoSchema, new Uint8Array(toBinary(GraphProtoSchema, v)));
}

/**
 * The graph summary holding nothing of the file's buffer: large constants read back from disk on
 * demand (WeightsOnDisk), small ones and tensor attributes copied. Once the parsed model is dropped
 * too, the buffer is freed.
 */
export function detachFromFile(graph: GraphSummary, read: ReadFile): GraphSummary {
  // Not `read` itself: it holds the buffer.
  const weights = new WeightsOnDisk({ file: read.file, mtimeMs: read.mtimeMs, size: read.size });
  for (const [name, t] of graph.initializers) {
    const span = t.rawData.byteLength >= ON_DISK_FROM ? spanIn(t.rawData, read) : null;
    if (span) weights.putOnDisk(name, t, span);
    else weights.set(name, ownTensor(t));
  }
  const nodes: NodeDesc[] = graph.nodes.map((n) => ({
    ...n,
    attrs: Object.fromEntries(Object.entries(n.attrs).map(([k, v]) => [k, ownAttr(v)])),
  }));
  return { ...graph, nodes, initializers: weights };
}
