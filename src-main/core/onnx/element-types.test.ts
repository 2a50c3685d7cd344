// Element-type propagation: the op rules one by one, and against onnxruntime's own inference (every
// value of a graph of mixed types made a graph output with the inferred type: ORT must load it and
// return exactly those types).
import { create } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import {
  AttributeProto_AttributeType, AttributeProtoSchema, GraphProtoSchema, NodeProtoSchema, TensorProto_DataType as T, TypeProtoSchema,
  TypeProto_SequenceSchema, ValueInfoProtoSchema, type NodeProto,
} from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './builder.ts';
import { declaredElementType, inferElementTypes, nodeOutputTypes, NOT_A_TENSOR } from './element-types.ts';
import { serializeModel } from './model.ts';
import { valueInfo } from './protos.ts';
import { float32Tensor, int64Tensor } from './tensor.ts';

const node = (opType: string, input: string[], output: string[], attrs: Record<string, number> = {}, domain = ''): NodeProto =>
  create(NodeProtoSchema, {
    opType, input, output, domain,
    attribute: Object.entries(attrs).map(([name, i]) => create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: BigInt(i) })),
  });

const F = () => T.FLOAT;

describe('nodeOutputTypes', () => {
  it('Cast takes `to`; CastLike its second input', () => {
    expect(nodeOutputTypes(node('Cast', ['x'], ['y'], { to: T.INT64 }), F)).toEqual([T.INT64]);
    expect(nodeOutputTypes(node('CastLike', ['x', 'like'], ['y']), (n) => (n === 'like' ? T.DOUBLE : T.FLOAT))).toEqual([T.DOUBLE]);
  });

  it('shape and index ops are int64; comparisons and logic are bool', () => {
    for (const op of ['Shape', 'Size', 'ArgMax', 'ArgMin', 'NonZero', 'NonMaxSuppression']) expect(nodeOutputTypes(node(op, ['x'], ['y']), F), op).toEqual([T.INT64]);
    for (const op of ['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf']) {
      expect(nodeOutputTypes(node(op, ['x', 'y'], ['z']), F), op).toEqual([T.BOOL]);
    }
    expect(nodeOutputTypes(node('ConvInteger', ['x', 'w'], ['y']), () => T.UINT8)).toEqual([T.INT32]);
  });

  it('values keep the input type, indices are int64: MaxPool, TopK, Unique; Dropout\'s mask is bool from opset 10', () => {
    expect(nodeOutputTypes(node('MaxPool', ['x'], ['y', 'i']), F)).toEqual([T.FLOAT, T.INT64]);
    expect(nodeOutputTypes(node('TopK', ['x', 'k'], ['v', 'i']), () => T.DOUBLE)).toEqual([T.DOUBLE, T.INT64]);
    expect(nodeOutputTypes(node('Unique', ['x'], ['y', 'i', 'inv', 'n']), F)).toEqual([T.FLOAT, T.INT64, T.INT64, T.INT64]);
    expect(nodeOutputTypes(node('Dropout', ['x'], ['y', 'mask']), F, 13)).toEqual([T.FLOAT, T.BOOL]);
    expect(nodeOutputTypes(node('Dropout', ['x'], ['y', 'mask']), F, 9)).toEqual([T.FLOAT, T.FLOAT]);
  });

  it('ops whose output is not their first input\'s type', () => {
    const typed = (m: Record<string, number>) => (n: string) => m[n];
    expect(nodeOutputTypes(node('Where', ['c', 'a', 'b'], ['y']), typed({ c: T.BOOL, a: T.INT64, b: T.INT64 }))).toEqual([T.INT64]);
    expect(nodeOutputTypes(node('OneHot', ['i', 'd', 'v'], ['y']), typed({ i: T.INT64, d: T.INT64, v: T.FLOAT }))).toEqual([T.FLOAT]);
    expect(nodeOutputTypes(node('QuantizeLinear', ['x', 's'], ['y']), F)).toEqual([T.UINT8]);
    expect(nodeOutputTypes(node('QuantizeLinear', ['x', 's', 'z'], ['y']), typed({ x: T.FLOAT, s: T.FLOAT, z: T.INT8 }))).toEqual([T.INT8]);
    expect(nodeOutputTypes(node('DequantizeLinear', ['x', 's', 'z'], ['y']), typed({ x: T.UINT8, s: T.FLOAT, z: T.UINT8 }))).toEqual([T.FLOAT]);
    expect(nodeOutputTypes(node('DynamicQuantizeLinear', ['x'], ['y', 's', 'z']), F)).toEqual([T.UINT8, T.FLOAT, T.UINT8]);
    expect(nodeOutputTypes(node('ConstantOfShape', ['shape'], ['y']), () => T.INT64)).toEqual([T.FLOAT]);
    expect(nodeOutputTypes(node('RandomNormalLike', ['x'], ['y']), () => T.DOUBLE)).toEqual([T.DOUBLE]);
    expect(nodeOutputTypes(node('RandomNormalLike', ['x'], ['y'], { dtype: T.FLOAT }), () => T.DOUBLE)).toEqual([T.FLOAT]);
    expect(nodeOutputTypes(node('Multinomial', ['x'], ['y']), F)).toEqual([T.INT32]);
    expect(nodeOutputTypes(node('LayerNormalization', ['x', 's'], ['y', 'm', 'r']), () => T.FLOAT16)).toEqual([T.FLOAT16, T.FLOAT, T.FLOAT]);
    expect(nodeOutputTypes(node('SequenceConstruct', ['a', 'b'], ['s']), F)).toEqual([NOT_A_TENSOR]);
  });

  it('most ops take their first input\'s type; unknown inputs and other domains stay unknown', () => {
    for (const op of ['Relu', 'Conv', 'Add', 'Reshape', 'Gather', 'Slice', 'Concat', 'Flatten', 'ReduceMean', 'Pow', 'Range', 'Expand', 'Resize', 'Identity']) {
      expect(nodeOutputTypes(node(op, ['x', 'y'], ['z']), (n) => (n === 'x' ? T.INT64 : T.FLOAT)), op).toEqual([T.INT64]);
    }
    expect(nodeOutputTypes(node('Relu', ['x'], ['y']), () => undefined)).toEqual([undefined]);
    expect(nodeOutputTypes(node('FusedConv', ['x', 'w'], ['y'], {}, 'com.microsoft'), F)).toEqual([undefined]);
    expect(nodeOutputTypes(node('Relu', ['x'], ['y'], {}, 'ai.onnx'), F)).toEqual([T.FLOAT]);
  });
});

describe('inferElementTypes', () => {
  it('reads inputs, initializers, Constant nodes and value_info, then follows the rules, in any node order', () => {
    const constant = (name: string, attr: string, type: AttributeProto_AttributeType, value: Partial<{ i: bigint; f: number; t: ReturnType<typeof int64Tensor> }>) =>
      create(NodeProtoSchema, { opType: 'Constant', output: [name], attribute: [create(AttributeProtoSchema, { name: attr, type, ...value })] });
    const graph = create(GraphProtoSchema, {
      input: [valueInfo('x', T.FLOAT, [1, 3]), valueInfo('s', T.STRING, [1])],
      initializer: [int64Tensor('axes', [1], [0]), float32Tensor('w', [3], [1, 2, 3])],
      valueInfo: [valueInfo('declared', T.DOUBLE, null), create(ValueInfoProtoSchema, { name: 'seq', type: create(TypeProtoSchema, { value: { case: 'sequenceType', value: create(TypeProto_SequenceSchema) } }) })],
      node: [
        node('Cast', ['n'], ['back'], { to: T.FLOAT }), // before the node producing its input
        node('Shape', ['x'], ['shape']),
        node('Cast', ['shape'], ['n'], { to: T.INT32 }),
        node('Mul', ['x', 'w'], ['xw']),
        constant('ci', 'value_int', AttributeProto_AttributeType.INT, { i: 3n }),
        constant('cf', 'value_float', AttributeProto_AttributeType.FLOAT, { f: 1 }),
        constant('ct', 'value', AttributeProto_AttributeType.TENSOR, { t: int64Tensor('', [2], [1, 2]) }),
        node('Custom', ['x'], ['custom'], {}, 'my.domain'),
        node('Relu', ['custom'], ['after_custom']),
        node('Identity', ['x'], ['declared']),
        node('Greater', ['xw', 'x'], ['mask']),
        node('Where', ['mask', 'xw', 'x'], ['sel']),
      ],
    });
    const t = inferElementTypes(graph);
    expect(Object.fromEntries([...t].filter(([k]) => !['x', 's', 'axes', 'w'].includes(k)))).toEqual({
      back: T.FLOAT, shape: T.INT64, n: T.INT32, xw: T.FLOAT, ci: T.INT64, cf: T.FLOAT, ct: T.INT64,
      declared: T.DOUBLE, seq: NOT_A_TENSOR, mask: T.BOOL, sel: T.FLOAT,
    });
    expect(t.get('s')).toBe(T.STRING);
    expect(t.has('custom')).toBe(false);
    expect(t.has('after_custom')).toBe(false);
    expect(declaredElementType(valueInfo('v', T.INT64, null))).toBe(T.INT64);
    expect(declaredElementType(create(ValueInfoProtoSchema, { name: 'untyped' }))).toBeUndefined();
  });

  it('agrees with onnxruntime: every value of a mixed-type graph, output with its inferred type, loads and runs as that type', async () => {
    const b = new GraphBuilder({ opset: 15, seed: 2 });
    const x = b.input('x', [1, 2, 4, 4]);
    const k = b.int64Initializer('k', [1], [2]);
    const zero = b.initializer('zero', [], [0]);
    const one64 = b.int64Initializer('one64', [], [1]);
    const depth = b.int64Initializer('depth', [], [3]);
    const onOff = b.initializer('on_off', [2], [0, 1]);
    const ops: [string, string[], Record<string, number>, number][] = [
      ['Cast', [x], { to: T.INT64 }, 1],
      ['Cast', ['cast1'], { to: T.DOUBLE }, 1],
      ['CastLike', [x, 'cast2'], {}, 1],
      ['Shape', [x], {}, 1],
      ['Size', [x], {}, 1],
      ['ArgMax', [x], { axis: 1 }, 1],
      ['TopK', [x, k], { axis: 3 }, 2],
      ['MaxPool', [x], {}, 2],
      ['Greater', [x, zero], {}, 1],
      ['Not', ['greater1'], {}, 1],
      ['Where', ['greater1', x, zero], {}, 1],
      ['NonZero', ['greater1'], {}, 1],
      ['OneHot', ['argmax1', depth, onOff], {}, 1],
      ['ConstantOfShape', ['shape1'], {}, 1],
      ['Add', ['cast1', one64], {}, 1],
      ['Relu', ['cast2'], {}, 1],
      ['Dropout', [x], {}, 2],
      ['Equal', ['cast1', one64], {}, 1],
      ['Unique', ['cast1'], {}, 4],
    ];
    const names: string[] = [];
    for (const [op, inputs, attrs, n] of ops) {
      const a: Record<string, number | number[]> = { ...attrs };
      if (op === 'MaxPool') Object.assign(a, { kernel_shape: [2, 2], strides: [2, 2] });
      names.push(...b.node(op, inputs, a, n));
    }
    const model = b.model();
    const types = inferElementTypes(model.graph!, 15);
    model.graph!.output = names.map((n) => valueInfo(n, types.get(n)!, null));
    const session = await ort.InferenceSession.create(serializeModel(model), { logSeverityLevel: 3 });
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from({ length: 32 }, (_, i) => (i % 5) - 2), [1, 2, 4, 4]) });
    await session.release();
    const ortType: Record<string, number> = { float32: T.FLOAT, float64: T.DOUBLE, int64: T.INT64, int32: T.INT32, bool: T.BOOL, uint8: T.UINT8 };
    expect(Object.keys(out).sort()).toEqual([...names].sort());
    for (const n of names) expect(types.get(n), n).toBe(ortType[out[n].type]);
    expect(new Set(names.map((n) => types.get(n)))).toEqual(new Set([T.FLOAT, T.DOUBLE, T.INT64, T.BOOL]));
  });
});
