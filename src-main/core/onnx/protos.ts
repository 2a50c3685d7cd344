// Building ONNX protobuf pieces: attributes from plain values, value infos from dims.
import { create } from '@bufbuild/protobuf';
import {
  type AttributeProto,
  AttributeProtoSchema,
  AttributeProto_AttributeType as A,
  type GraphProto,
  type TensorProto,
  TensorShapeProtoSchema,
  TensorShapeProto_DimensionSchema,
  TypeProtoSchema,
  TypeProto_TensorSchema,
  type ValueInfoProto,
  ValueInfoProtoSchema,
} from 'onnx-buf';
import type { Dim } from '../../common/types.ts';

/** Forces a float attribute where a JS number happens to be whole (Gemm's alpha: 1). */
export class FloatAttr {
  constructor(public value: number | number[]) {}
}
export const floatAttr = (v: number | number[]): FloatAttr => new FloatAttr(v);
export type AttrInput = number | number[] | string | string[] | FloatAttr | TensorProto | GraphProto;

const isTensor = (v: unknown): v is TensorProto => (v as { $typeName?: string })?.$typeName === 'onnx.TensorProto';
const isGraph = (v: unknown): v is GraphProto => (v as { $typeName?: string })?.$typeName === 'onnx.GraphProto';

export function attribute(name: string, v: AttrInput): AttributeProto {
  const enc = new TextEncoder();
  if (v instanceof FloatAttr) {
    return Array.isArray(v.value)
      ? create(AttributeProtoSchema, { name, type: A.FLOATS, floats: v.value })
      : create(AttributeProtoSchema, { name, type: A.FLOAT, f: v.value });
  }
  if (typeof v === 'string') return create(AttributeProtoSchema, { name, type: A.STRING, s: enc.encode(v) });
  if (typeof v === 'number') {
    return Number.isInteger(v)
      ? create(AttributeProtoSchema, { name, type: A.INT, i: BigInt(v) })
      : create(AttributeProtoSchema, { name, type: A.FLOAT, f: v });
  }
  if (isTensor(v)) return create(AttributeProtoSchema, { name, type: A.TENSOR, t: v });
  if (isGraph(v)) return create(AttributeProtoSchema, { name, type: A.GRAPH, g: v });
  if (v.every((x) => typeof x === 'string')) return create(AttributeProtoSchema, { name, type: A.STRINGS, strings: (v as string[]).map((s) => enc.encode(s)) });
  const nums = v as number[];
  return nums.every(Number.isInteger)
    ? create(AttributeProtoSchema, { name, type: A.INTS, ints: nums.map((x) => BigInt(x)) })
    : create(AttributeProtoSchema, { name, type: A.FLOATS, floats: nums });
}

export function valueInfo(name: string, elemType: number, dims: Dim[] | null): ValueInfoProto {
  const shape = dims
    ? create(TensorShapeProtoSchema, {
        dim: dims.map((d) =>
          create(TensorShapeProto_DimensionSchema, { value: typeof d === 'number' ? { case: 'dimValue', value: BigInt(d) } : { case: 'dimParam', value: d } }),
        ),
      })
    : undefined;
  const tensorType = create(TypeProto_TensorSchema, { elemType, shape });
  return create(ValueInfoProtoSchema, { name, type: create(TypeProtoSchema, { value: { case: 'tensorType', value: tensorType } }) });
}
