// A model whose large constants are references into the file it was read from, instead of bytes.
// onnxruntime reads them from the file itself (ONNX external data: location, offset, length), so a
// rewritten copy of a 250 MB model (the session's tapped copy, the light copies analyses run) is
// serialized and handed over in kilobytes, not by copying 250 MB twice (measured on a full-width ZF,
// 249 MB, quiet 2-core machine: a copy loads in about 0.2 s instead of 0.9 s).
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { type ModelProto, ModelProtoSchema, StringStringEntryProtoSchema, type TensorProto, TensorProto_DataLocation } from 'onnx-buf';
import type { ReadFile } from './weights-on-disk.ts';

/** Constants at least this large are referenced; smaller ones are copied (as WeightsOnDisk does). */
const REFERENCE_FROM = 64 * 1024;

export interface ModelByReference {
  /** Holds nothing of the file's buffer; its large initializers point into `file`. */
  model: ModelProto;
  /** The folder onnxruntime resolves the references in (the real one, links resolved). */
  folder: string;
  /** Initializers referenced, for tests and messages. */
  referenced: number;
}

/** onnxruntime's session option naming where a model given as bytes keeps its external data. */
export const EXTERNAL_FOLDER_OPTION = 'model_external_initializers_file_folder_path';

/**
 * `model` (parsed from `read.bytes`, the file's own bytes) with every initializer of at least 64 KiB
 * that is a view of those bytes replaced by a reference to the same bytes in the file; null when
 * none is (a model whose weights were already external, or given as float_data). The file is named
 * by its real path: onnxruntime refuses a reference that leaves the folder once links are resolved.
 */
export function referencingFile(model: ModelProto, read: ReadFile): ModelByReference | null {
  const graph = model.graph;
  if (!graph) return null;
  let real: string;
  try {
    real = realpathSync(read.file);
  } catch {
    return null;
  }
  const location = path.basename(real);
  let referenced = 0;
  const initializer = graph.initializer.map((t): TensorProto => {
    const v = t.rawData;
    if (v.byteLength < REFERENCE_FROM || v.buffer !== read.bytes.buffer) return t;
    const offset = v.byteOffset - read.bytes.byteOffset;
    if (offset < 0 || offset + v.byteLength > read.bytes.byteLength) return t;
    referenced++;
    return {
      ...t,
      rawData: new Uint8Array(0),
      dataLocation: TensorProto_DataLocation.EXTERNAL,
      externalData: [
        create(StringStringEntryProtoSchema, { key: 'location', value: location }),
        create(StringStringEntryProtoSchema, { key: 'offset', value: String(offset) }),
        create(StringStringEntryProtoSchema, { key: 'length', value: String(v.byteLength) }),
      ],
    };
  });
  if (referenced === 0) return null;
  // Through its own bytes: small constants and tensor attributes are views of the file's buffer,
  // which a kept copy must not hold.
  const shallow: ModelProto = { ...model, graph: { ...graph, initializer } };
  return { model: fromBinary(ModelProtoSchema, toBinary(ModelProtoSchema, shallow)), folder: path.dirname(real), referenced };
}
