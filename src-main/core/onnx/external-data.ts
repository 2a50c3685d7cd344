// Tensors whose bytes live in separate files beside the model (models over 2 GB must do this;
// onnx.save_model(save_as_external_data=True) does it for any size). We read them into raw_data
// so that everything downstream sees one self-contained ModelProto.
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { type GraphProto, type ModelProto, type TensorProto, TensorProto_DataLocation, TensorProto_DataType } from 'onnx-buf';
import { displayName, ModelError } from './errors.ts';
import { isLfsPointer } from './lfs-pointer.ts';
import { elementCount } from './tensor.ts';

const BYTES_PER: Partial<Record<number, number>> = {
  [TensorProto_DataType.FLOAT]: 4,
  [TensorProto_DataType.DOUBLE]: 8,
  [TensorProto_DataType.FLOAT16]: 2,
  [TensorProto_DataType.BFLOAT16]: 2,
  [TensorProto_DataType.INT64]: 8,
  [TensorProto_DataType.UINT64]: 8,
  [TensorProto_DataType.INT32]: 4,
  [TensorProto_DataType.UINT32]: 4,
  [TensorProto_DataType.INT16]: 2,
  [TensorProto_DataType.UINT16]: 2,
  [TensorProto_DataType.INT8]: 1,
  [TensorProto_DataType.UINT8]: 1,
  [TensorProto_DataType.BOOL]: 1,
};

/** Every tensor of a graph, including Constant values and tensors inside If/Loop bodies. */
export function* allTensors(graph: GraphProto): Generator<TensorProto> {
  yield* graph.initializer;
  for (const s of graph.sparseInitializer) {
    if (s.values) yield s.values;
    if (s.indices) yield s.indices;
  }
  for (const node of graph.node) {
    for (const a of node.attribute) {
      if (a.t) yield a.t;
      yield* a.tensors;
      if (a.g) yield* allTensors(a.g);
      for (const g of a.graphs) yield* allTensors(g);
    }
  }
}

function modelTensors(model: ModelProto): TensorProto[] {
  const out: TensorProto[] = [];
  if (model.graph) out.push(...allTensors(model.graph));
  for (const f of model.functions) {
    for (const node of f.node) for (const a of node.attribute) if (a.t) out.push(a.t);
  }
  return out;
}

/**
 * Replaces external references by the bytes they point at. Returns whether any tensor was external.
 * Locations must stay inside the model's folder: a model file must not make us read /etc/passwd.
 */
export function inlineExternalData(model: ModelProto, file: string, baseDir: string | undefined): boolean {
  const external = modelTensors(model).filter((t) => t.dataLocation === TensorProto_DataLocation.EXTERNAL);
  if (external.length === 0) return false;
  const name = displayName(file);
  const files = new Map<string, Uint8Array>();
  for (const t of external) {
    const keys = new Map(t.externalData.map((e) => [e.key, e.value]));
    const location = keys.get('location') ?? '';
    const tensor = t.name ? `tensor "${t.name}"` : 'an unnamed tensor';
    const fail = (why: string, extra: Record<string, unknown> = {}): never => {
      throw new ModelError('MODEL_EXTERNAL_DATA', `${name}: ${tensor} ${why}`, file, { tensor: t.name, location, ...extra });
    };
    if (!location) fail('is marked external but names no file');
    if (baseDir === undefined) fail(`keeps its values in "${location}"; open the model from its folder so that file can be read`);
    const root = resolve(baseDir!);
    const path = resolve(root, location);
    const rel = relative(root, path);
    if (rel === '' || rel === '..' || rel.startsWith('..' + sep) || isAbsolute(rel) || isAbsolute(location)) {
      fail(`points outside the model's folder ("${location}")`);
    }
    let data = files.get(path);
    if (!data) {
      try {
        if (!statSync(path).isFile()) fail(`keeps its values in "${location}", which is not a file`);
        data = readFileSync(path);
      } catch (e) {
        if (e instanceof ModelError) throw e;
        const code = (e as NodeJS.ErrnoException).code;
        fail(
          code === 'ENOENT'
            ? `keeps its values in "${location}", which is missing beside the model`
            : `keeps its values in "${location}", which cannot be read (${(e as Error).message})`,
          { errno: code },
        );
      }
      if (isLfsPointer(data!)) {
        fail(`keeps its values in "${location}", which is a Git LFS pointer, not the data: run \`git lfs pull\` in its repository`, { lfsPointer: true });
      }
      files.set(path, data!);
    }
    const offset = parseKey(keys.get('offset'), 0, () => fail(`has a bad offset "${keys.get('offset')}"`));
    const fileLen = data!.byteLength;
    const length = parseKey(keys.get('length'), fileLen - offset, () => fail(`has a bad length "${keys.get('length')}"`));
    if (offset > fileLen || offset + length > fileLen) {
      fail(`needs bytes ${offset}…${offset + length} of "${location}" but the file has ${fileLen}; truncated?`, {
        offset,
        length,
        fileLength: fileLen,
      });
    }
    const per = BYTES_PER[t.dataType];
    if (per !== undefined && length !== per * elementCount(t)) {
      fail(`has ${length} bytes in "${location}" but its dims need ${per * elementCount(t)}`);
    }
    // A view keeps one copy of the weights in memory; the file buffer is ours alone.
    t.rawData = data!.subarray(offset, offset + length) as Uint8Array<ArrayBuffer>;
    t.dataLocation = TensorProto_DataLocation.DEFAULT;
    t.externalData = [];
  }
  return true;
}

function parseKey(value: string | undefined, fallback: number, bad: () => never): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) bad();
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : bad();
}
