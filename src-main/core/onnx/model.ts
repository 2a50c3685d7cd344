// Reading ONNX files into ModelProtos and writing them back.
//
// protobuf-es keeps fields it does not know (newer ONNX versions) and writes them back, so a
// parse → rewrite → serialize cycle never drops what a newer exporter put in the file.
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { type ModelProto, ModelProtoSchema } from 'onnx-buf';
import { displayName, ModelError } from './errors.ts';
import { inlineExternalData } from './external-data.ts';
import { channelsFirst, inputLayout } from './layout.ts';
import { isLfsPointer } from './lfs-pointer.ts';

export { ModelError, type ModelErrorCode, displayName } from './errors.ts';

/** Models whose tensors were read from external files (their bytes alone are not the model). */
const inlined = new WeakSet<ModelProto>();

export interface ParseOptions {
  /** Folder that external-data locations are relative to (the model's folder). */
  baseDir?: string;
}

/**
 * Decodes and sanity-checks an ONNX model; tensors stored in external files are read from
 * `opts.baseDir` and inlined, so the result is self-contained. A channels-last (Keras, tf2onnx)
 * model comes back taking N×C×H×W, its own layout in its metadata (layout.ts).
 */
export function parseModel(bytes: Uint8Array, file: string, opts: ParseOptions = {}): ModelProto {
  const name = displayName(file);
  if (bytes.byteLength === 0) throw new ModelError('MODEL_EMPTY', `${name} is empty`, file);
  if (isLfsPointer(bytes)) {
    // A clone without `git lfs` (or before `git lfs pull`) holds this ~130-byte text file in place
    // of the model; protobuf's own reading of it ("illegal tag: field no 14 wire type 6") says nothing useful.
    throw new ModelError('MODEL_NOT_ONNX', `${name} is a Git LFS pointer, not the model: run \`git lfs pull\` in its repository`, file, { lfsPointer: true });
  }
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, bytes);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    const truncated = e instanceof RangeError || /premature EOF|out of range/i.test(reason);
    const hint = sniff(bytes) ?? (truncated ? 'the file ends in the middle of a field; truncated?' : `decoding failed: ${reason}`);
    throw new ModelError('MODEL_NOT_ONNX', `${name} is not an ONNX model (${hint})`, file, { reason });
  }
  checkShape(model, bytes, name, file);
  if (inlineExternalData(model, file, opts.baseDir)) inlined.add(model);
  channelsFirst(model);
  return model;
}

/**
 * Reads a model file; external data beside it is inlined. `bytes` is what the model's tensors are
 * views of: the file's bytes, or with external data a self-contained serialization. (A
 * channels-last model differs from its file in its input and leading Transposes, layout.ts:
 * serialize the model, not these bytes, to run it.)
 */
export async function loadModelFile(path: string): Promise<{ model: ModelProto; bytes: Uint8Array }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : (e as Error).message;
    throw new ModelError('MODEL_READ_FAILED', `Cannot read ${displayName(path)}: ${why}`, path, { errno: code });
  }
  const model = parseModel(bytes, path, { baseDir: dirname(path) });
  // Runtimes given bytes cannot resolve external files, so hand out the inlined model instead.
  return { model, bytes: inlined.has(model) ? serializeModel(model) : bytes };
}

export function serializeModel(m: ModelProto): Uint8Array {
  return toBinary(ModelProtoSchema, m);
}

/** A model's bytes as a session should run them: a channels-last model's rewritten (layout.ts), others as they are. */
export function channelsFirstBytes(bytes: Uint8Array, file: string): Uint8Array {
  const model = parseModel(bytes, file);
  return inputLayout(model) === 'NHWC' ? serializeModel(model) : bytes;
}

/** Random bytes often decode without error; a model needs at least these to be worth opening. */
function checkShape(model: ModelProto, bytes: Uint8Array, name: string, file: string): void {
  const fail = (hint: string): never => {
    throw new ModelError('MODEL_NOT_ONNX', `${name} is not an ONNX model (${sniff(bytes) ?? hint})`, file);
  };
  const nodes = model.graph?.node.length ?? 0;
  // A model header (IR version, producer) and nothing after it is what a file cut early looks like.
  const cut = model.irVersion > 0n && model.producerName !== '' ? '; truncated?' : '';
  if (model.irVersion <= 0n) fail('no IR version');
  if (!model.graph) fail((model.opsetImport.length > 0 ? 'no graph' : 'no graph and no opset import') + cut);
  if (nodes === 0) fail('the graph has no nodes');
  // Exporters write opset_import after the graph: a file cut right after the graph lacks it.
  if (model.opsetImport.length === 0) fail('no opset import; truncated?');
  if (model.graph!.node.some((n) => n.opType === '')) fail('a node without an op type');
}

/** Names familiar non-ONNX formats people open by mistake. */
function sniff(bytes: Uint8Array): string | null {
  const b = bytes;
  const starts = (...sig: number[]) => sig.every((v, i) => b[i] === v);
  if (starts(0x50, 0x4b, 0x03, 0x04)) return 'a zip archive, e.g. a PyTorch .pt checkpoint; export it with torch.onnx.export';
  if (starts(0x89, 0x50, 0x4e, 0x47)) return 'a PNG image';
  if (starts(0xff, 0xd8, 0xff)) return 'a JPEG image';
  if (starts(0x80) && b.length > 1 && b[1] >= 2 && b[1] <= 5) return 'a Python pickle';
  if (starts(0x89, 0x48, 0x44, 0x46)) return 'an HDF5 file, e.g. a Keras .h5 model';
  let i = 0;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++;
  if (b[i] === 0x7b || b[i] === 0x5b) return 'it looks like JSON';
  if (b[i] === 0x3c) return 'it looks like HTML or XML';
  return null;
}
