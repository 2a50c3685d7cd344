import { create } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { TensorProtoSchema, TensorProto_DataLocation, TensorProto_DataType as T } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './builder.ts';
import { parseModel } from './model.ts';
import { seededRandom } from './seeded-random.ts';
import {
  TensorDataError,
  float32Tensor,
  halfToFloat,
  int64Tensor,
  rawTensor,
  tensorDims,
  tensorToBigInt64,
  tensorToFloat32,
  tensorToNumbers,
} from './tensor.ts';

describe('tensorToFloat32', () => {
  it('reads float_data and raw_data alike', () => {
    const values = [1.5, -2, 3.25, 0, 1e-8, -7];
    const fromField = create(TensorProtoSchema, { name: 'w', dims: [2n, 3n], dataType: T.FLOAT, floatData: values });
    expect(Array.from(tensorToFloat32(fromField))).toEqual(Array.from(Float32Array.from(values)));
    expect(Array.from(tensorToFloat32(float32Tensor('w', [2, 3], values)))).toEqual(Array.from(Float32Array.from(values)));
    expect(tensorDims(fromField)).toEqual([2, 3]);
  });

  it('copies raw_data that is an unaligned view into a bigger buffer', () => {
    const values = Float32Array.from([1, 2, 3, -4.5]);
    const backing = new Uint8Array(1 + values.byteLength + 3);
    backing.set(new Uint8Array(values.buffer), 1);
    const raw = backing.subarray(1, 1 + values.byteLength);
    expect(raw.byteOffset % 4).toBe(1); // new Float32Array(raw.buffer, 1) would throw
    const t = create(TensorProtoSchema, { name: 'u', dims: [4n], dataType: T.FLOAT, rawData: raw });
    const out = tensorToFloat32(t);
    expect(Array.from(out)).toEqual([1, 2, 3, -4.5]);
    out[0] = 99; // a copy: the model's bytes stay untouched
    expect(tensorToFloat32(t)[0]).toBe(1);
  });

  it('decoded models hand out unaligned raw_data, and we read it right', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 1, 3, 3]);
    const weights = Array.from({ length: 9 }, (_, i) => i - 4.5);
    b.output(b.conv(x, { outChannels: 1, kernel: 3, weights, bias: false, name: 'c' }));
    const m = parseModel(b.build(), 'built.onnx');
    const w = m.graph!.initializer[0];
    expect(w.rawData.buffer.byteLength).toBeGreaterThan(w.rawData.byteLength); // a view into the file
    expect(Array.from(tensorToFloat32(w))).toEqual(weights);
  });

  it('converts float16 like the IEEE definition', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x03ff)).toBe(1023 * 2 ** -24);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(halfToFloat(0x7e00)).toBeNaN();
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
    // int32_data form (no raw_data): one half per entry
    const t = create(TensorProtoSchema, { name: 'h', dims: [2n], dataType: T.FLOAT16, int32Data: [0x3c00, 0x3800] });
    expect(Array.from(tensorToFloat32(t))).toEqual([1, 0.5]);
  });

  it('float16 and double conversions agree with onnxruntime Cast', async () => {
    const rnd = seededRandom(7);
    // Clearing bit 10 keeps the exponent below 31: finite halves only, subnormals included (NaN/Inf are checked above).
    const halves = Uint16Array.from({ length: 512 }, () => Math.floor(rnd() * 0x10000) & 0xfbff);
    const doubles = Float64Array.from({ length: 64 }, () => (rnd() - 0.5) * 10 ** Math.floor(rnd() * 12 - 6));
    const b = new GraphBuilder({ opset: 13 });
    const x = b.input('x', [1]);
    const [h] = b.node('Constant', [], { value: rawTensor('hc', [halves.length], T.FLOAT16, halves) }, 1, { types: [T.FLOAT16] });
    const [d] = b.node('Constant', [], { value: rawTensor('dc', [doubles.length], T.DOUBLE, doubles) }, 1, { types: [T.DOUBLE] });
    const [hf] = b.node('Cast', [h], { to: T.FLOAT });
    const [df] = b.node('Cast', [d], { to: T.FLOAT });
    const [xo] = b.node('Identity', [x]);
    b.output(hf);
    b.output(df);
    b.output(xo);
    const s = await ort.InferenceSession.create(b.build());
    const r = await s.run({ x: new ort.Tensor('float32', new Float32Array([0]), [1]) });
    const consts = parseModel(b.build(), 'casts.onnx').graph!.node.filter((n) => n.opType === 'Constant').map((n) => n.attribute[0].t!);
    const ours16 = tensorToFloat32(consts[0]);
    const ours64 = tensorToFloat32(consts[1]);
    const ort16 = r[hf].data as Float32Array;
    expect(Array.from(ours16)).toEqual(Array.from(ort16));
    expect(Array.from(ours64)).toEqual(Array.from(r[df].data as Float32Array));
    await s.release();
  });

  it('rejects non-float types, wrong counts and unloaded external data, naming the tensor', () => {
    expect(() => tensorToFloat32(int64Tensor('shape', [2], [1, 2]))).toThrow(/tensor "shape" is INT64, not a float type/);
    const short = create(TensorProtoSchema, { name: 'w', dims: [2n, 2n], dataType: T.FLOAT, floatData: [1, 2, 3] });
    expect(() => tensorToFloat32(short)).toThrow(TensorDataError);
    expect(() => tensorToFloat32(short)).toThrow(/"w" has 3 values in float_data but its dims \[2, 2\] need 4/);
    const raw = create(TensorProtoSchema, { name: 'r', dims: [3n], dataType: T.FLOAT, rawData: new Uint8Array(8) });
    expect(() => tensorToFloat32(raw)).toThrow(/8 bytes of raw data but 3 × FLOAT need 12/);
    const ext = create(TensorProtoSchema, { name: 'e', dims: [1n], dataType: T.FLOAT, dataLocation: TensorProto_DataLocation.EXTERNAL });
    expect(() => tensorToFloat32(ext)).toThrow(/"e" keeps its values in an external file/);
  });
});

describe('integer tensors', () => {
  it('reads int64 from int64_data and raw_data, including values beyond 2^53', () => {
    const big = 2n ** 62n + 3n;
    const field = create(TensorProtoSchema, { name: 's', dims: [3n], dataType: T.INT64, int64Data: [-1n, 0n, big] });
    expect(Array.from(tensorToBigInt64(field))).toEqual([-1n, 0n, big]);
    expect(Array.from(tensorToBigInt64(int64Tensor('s', [3], [-1n, 0n, big])))).toEqual([-1n, 0n, big]);
    expect(tensorToNumbers(int64Tensor('s', [2], [1, -1]))).toEqual([1, -1]);
  });

  it('reads the narrower integer types and bool', () => {
    const i32 = create(TensorProtoSchema, { name: 'a', dims: [2n], dataType: T.INT32, rawData: new Uint8Array(Int32Array.from([-5, 7]).buffer) });
    expect(tensorToNumbers(i32)).toEqual([-5, 7]);
    const i8 = create(TensorProtoSchema, { name: 'b', dims: [2n], dataType: T.INT8, rawData: Uint8Array.from([0xff, 3]) });
    expect(tensorToNumbers(i8)).toEqual([-1, 3]);
    const bool = create(TensorProtoSchema, { name: 'c', dims: [2n], dataType: T.BOOL, int32Data: [1, 0] });
    expect(tensorToNumbers(bool)).toEqual([1, 0]);
    const scalar = create(TensorProtoSchema, { name: 'd', dims: [], dataType: T.DOUBLE, doubleData: [0.1] });
    expect(tensorToNumbers(scalar)).toEqual([0.1]); // full double precision, not float32's
    expect(() => tensorToBigInt64(float32Tensor('f', [1], [1]))).toThrow(/"f" is FLOAT, not an integer type/);
  });

  it('float32Tensor checks dims against the data', () => {
    expect(() => float32Tensor('w', [2, 2], [1, 2, 3])).toThrow(/dims \[2, 2\] need 4 values, got 3/);
  });
});
