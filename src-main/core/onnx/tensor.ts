// Reading and writing the values of ONNX TensorProtos as flat typed arrays.
//
// ONNX stores values either in a typed repeated field (float_data, int64_data, ...) or as
// little-endian bytes in raw_data. protobuf-es hands raw_data out as a view into the file's
// buffer, so it is usually not 4- or 8-byte aligned: we always copy before viewing it as a
// wider typed array.
import { create } from '@bufbuild/protobuf';
import { type TensorProto, TensorProtoSchema, TensorProto_DataType, TensorProto_DataLocation } from 'onnx-buf';

const T = TensorProto_DataType;

/** Thrown for tensors whose stored values don't fit their declared type or shape. */
export class TensorDataError extends Error {
  constructor(
    public tensor: string,
    message: string,
  ) {
    super(message);
    this.name = 'TensorDataError';
  }
}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function tensorDims(t: TensorProto): number[] {
  return t.dims.map((d) => Number(d));
}

export function elementCount(t: TensorProto): number {
  let n = 1;
  for (const d of t.dims) n *= Number(d);
  return n;
}

export function dataTypeName(type: number): string {
  return T[type] ?? `type ${type}`;
}

function label(t: TensorProto): string {
  return t.name ? `tensor "${t.name}"` : 'an unnamed tensor';
}

function checkInline(t: TensorProto): void {
  if (t.dataLocation === TensorProto_DataLocation.EXTERNAL) {
    throw new TensorDataError(t.name, `${label(t)} keeps its values in an external file that was not loaded`);
  }
}

function checkCount(t: TensorProto, got: number, field: string): void {
  const want = elementCount(t);
  if (got !== want) {
    throw new TensorDataError(
      t.name,
      `${label(t)} has ${got} values in ${field} but its dims [${tensorDims(t).join(', ')}] need ${want}`,
    );
  }
}

/** Copies raw little-endian bytes into a fresh, aligned buffer of `bytesPer`-byte elements. */
function rawBytes(t: TensorProto, bytesPer: number): ArrayBuffer {
  const n = elementCount(t);
  if (t.rawData.byteLength !== n * bytesPer) {
    throw new TensorDataError(
      t.name,
      `${label(t)} has ${t.rawData.byteLength} bytes of raw data but ${n} × ${dataTypeName(t.dataType)} need ${n * bytesPer}`,
    );
  }
  const copy = new Uint8Array(n * bytesPer);
  copy.set(t.rawData);
  if (!littleEndianHost && bytesPer > 1) {
    for (let i = 0; i < copy.length; i += bytesPer) copy.subarray(i, i + bytesPer).reverse();
  }
  return copy.buffer;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function bfloat16ToFloat(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0];
}

/** Float values of a FLOAT, FLOAT16, BFLOAT16 or DOUBLE tensor, as float32. */
export function tensorToFloat32(t: TensorProto): Float32Array {
  checkInline(t);
  const raw = t.rawData.byteLength > 0;
  switch (t.dataType) {
    case T.FLOAT: {
      if (raw) return new Float32Array(rawBytes(t, 4));
      checkCount(t, t.floatData.length, 'float_data');
      return Float32Array.from(t.floatData);
    }
    case T.DOUBLE: {
      if (raw) return Float32Array.from(new Float64Array(rawBytes(t, 8)));
      checkCount(t, t.doubleData.length, 'double_data');
      return Float32Array.from(t.doubleData);
    }
    case T.FLOAT16:
    case T.BFLOAT16: {
      // Without raw_data, 16-bit floats sit one per int32_data entry (low 16 bits).
      const bits = raw ? new Uint16Array(rawBytes(t, 2)) : Uint16Array.from(t.int32Data);
      if (!raw) checkCount(t, t.int32Data.length, 'int32_data');
      const convert = t.dataType === T.FLOAT16 ? halfToFloat : bfloat16ToFloat;
      const out = new Float32Array(bits.length);
      for (let i = 0; i < bits.length; i++) out[i] = convert(bits[i]);
      return out;
    }
    default:
      throw new TensorDataError(t.name, `${label(t)} is ${dataTypeName(t.dataType)}, not a float type`);
  }
}

/** Integer values of an INT64, INT32, INT16, INT8, UINT8, UINT16, UINT32, UINT64 or BOOL tensor. */
export function tensorToBigInt64(t: TensorProto): BigInt64Array {
  checkInline(t);
  const raw = t.rawData.byteLength > 0;
  const fromRaw = (bytesPer: number, view: (b: ArrayBuffer) => ArrayLike<number | bigint>): BigInt64Array => {
    const src = view(rawBytes(t, bytesPer));
    const out = new BigInt64Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = BigInt(src[i]);
    return out;
  };
  switch (t.dataType) {
    case T.INT64:
      if (raw) return new BigInt64Array(rawBytes(t, 8));
      checkCount(t, t.int64Data.length, 'int64_data');
      return BigInt64Array.from(t.int64Data);
    case T.UINT64:
      if (raw) return new BigInt64Array(rawBytes(t, 8));
      checkCount(t, t.uint64Data.length, 'uint64_data');
      return BigInt64Array.from(t.uint64Data, (v) => BigInt.asIntN(64, v));
    case T.INT32:
    case T.INT16:
    case T.INT8:
    case T.UINT8:
    case T.UINT16:
    case T.BOOL: {
      if (raw) {
        const views: Record<number, [number, (b: ArrayBuffer) => ArrayLike<number>]> = {
          [T.INT32]: [4, (b) => new Int32Array(b)],
          [T.INT16]: [2, (b) => new Int16Array(b)],
          [T.INT8]: [1, (b) => new Int8Array(b)],
          [T.UINT8]: [1, (b) => new Uint8Array(b)],
          [T.UINT16]: [2, (b) => new Uint16Array(b)],
          [T.BOOL]: [1, (b) => new Uint8Array(b)],
        };
        const [bytesPer, view] = views[t.dataType];
        return fromRaw(bytesPer, view);
      }
      checkCount(t, t.int32Data.length, 'int32_data');
      return BigInt64Array.from(t.int32Data, (v) => BigInt(v));
    }
    case T.UINT32:
      if (raw) return fromRaw(4, (b) => new Uint32Array(b));
      checkCount(t, t.uint64Data.length, 'uint64_data');
      return BigInt64Array.from(t.uint64Data);
    default:
      throw new TensorDataError(t.name, `${label(t)} is ${dataTypeName(t.dataType)}, not an integer type`);
  }
}

/** Values of any numeric tensor as JS numbers (int64 beyond 2^53 loses precision; shapes never get there). */
export function tensorToNumbers(t: TensorProto): number[] {
  switch (t.dataType) {
    case T.FLOAT:
    case T.FLOAT16:
    case T.BFLOAT16:
      return Array.from(tensorToFloat32(t));
    case T.DOUBLE:
      if (t.rawData.byteLength === 0) {
        checkInline(t);
        checkCount(t, t.doubleData.length, 'double_data');
        return [...t.doubleData];
      }
      checkInline(t);
      return Array.from(new Float64Array(rawBytes(t, 8)));
    default:
      return Array.from(tensorToBigInt64(t), (v) => Number(v));
  }
}

function checkData(name: string, dims: readonly number[], n: number): void {
  const want = dims.reduce((a, b) => a * b, 1);
  if (want !== n) throw new TensorDataError(name, `tensor "${name}": dims [${dims.join(', ')}] need ${want} values, got ${n}`);
}

/** A FLOAT tensor with its values in raw_data (the compact form every exporter writes). */
export function float32Tensor(name: string, dims: readonly number[], data: ArrayLike<number>): TensorProto {
  checkData(name, dims, data.length);
  const values = data instanceof Float32Array ? data : Float32Array.from(data);
  return create(TensorProtoSchema, {
    name,
    dims: dims.map((d) => BigInt(d)),
    dataType: T.FLOAT,
    rawData: littleEndianBytes(values),
  });
}

export function int64Tensor(name: string, dims: readonly number[], data: ArrayLike<number | bigint>): TensorProto {
  checkData(name, dims, data.length);
  const values = BigInt64Array.from(Array.from(data), (v) => BigInt(v));
  return create(TensorProtoSchema, {
    name,
    dims: dims.map((d) => BigInt(d)),
    dataType: T.INT64,
    rawData: littleEndianBytes(values),
  });
}

function littleEndianBytes(values: Float32Array | BigInt64Array | Uint16Array | Float64Array): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(values.byteLength);
  bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  if (!littleEndianHost && values.BYTES_PER_ELEMENT > 1) {
    const w = values.BYTES_PER_ELEMENT;
    for (let i = 0; i < bytes.length; i += w) bytes.subarray(i, i + w).reverse();
  }
  return bytes;
}

/** Raw little-endian tensors of other element types, for tests that need float16/double inputs. */
export function rawTensor(
  name: string,
  dims: readonly number[],
  dataType: TensorProto_DataType,
  values: Uint16Array | Float64Array,
): TensorProto {
  checkData(name, dims, values.length);
  return create(TensorProtoSchema, {
    name,
    dims: dims.map((d) => BigInt(d)),
    dataType,
    rawData: littleEndianBytes(values),
  });
}
