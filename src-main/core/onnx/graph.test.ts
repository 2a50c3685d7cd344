import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TensorProto_DataType } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import type { Dim } from '../../common/types.ts';
import { GraphBuilder } from './builder.ts';
import { ModelError } from './errors.ts';
import { analyzeGraph } from './graph.ts';
import { parseModel } from './model.ts';
import { zfTestModel } from './test-models.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const fixture = (f: string) => parseModel(readFileSync(join(FIXTURES, f)), f);

function analyzeError(build: (b: GraphBuilder) => void, file = 'bad.onnx'): ModelError {
  const b = new GraphBuilder();
  build(b);
  try {
    analyzeGraph(parseModel(b.build(), file), file);
  } catch (e) {
    if (e instanceof ModelError) return e;
    throw e;
  }
  throw new Error('expected a ModelError');
}

describe('analyzeGraph on real PyTorch exports', () => {
  // torch 1.13's LocalResponseNorm, three ways: opset 13 with symbolic batch, opset 13 static, opset 9 legacy.
  for (const file of ['torch-lrn.onnx', 'torch-lrn-static.onnx', 'torch-lrn-opset9.onnx']) {
    it(`${file}: one LRN layer for the whole exported subgraph`, () => {
      const m = fixture(file);
      const g = analyzeGraph(m, file);
      expect(g.input).toMatchObject({ name: 'input', channels: 3, height: 16, width: 16 });
      expect(g.outputs.map((o) => o.name)).toEqual(['logits']);
      expect(g.producer).toBe('pytorch 1.13.0');
      expect(g.nodes.length).toBe(m.graph!.node.length);
      expect(g.layers.map((l) => [l.op, l.kind, l.params])).toEqual([
        ['Conv', 'conv', 6 * 3 * 9 + 6],
        ['Relu', 'relu', 0],
        ['LRN', 'norm', 0],
        ['MaxPool', 'pool', 0],
        ['Conv', 'conv', 8 * 6 * 9 + 8],
        ['Relu', 'relu', 0],
        ['Flatten', 'other', 0],
        ['Gemm', 'fc', 5 * 72 + 5],
      ]);
      const lrn = g.layers[2];
      expect(lrn.id).toBe('/features/features.2/Div_output_0');
      expect(lrn.node).toBe('/features/features.2/Div');
      expect(lrn.lrn).toEqual({ size: 5, alpha: Math.fround(0.01), beta: 0.75, bias: 2 });
      // Every node but the 7 real layers is part of the LRN subgraph, and it ends with the Div.
      const others = g.nodes.filter((n) => !lrn.nodes.includes(n.name)).map((n) => n.op);
      expect(others).toEqual(['Conv', 'Relu', 'MaxPool', 'Conv', 'Relu', 'Flatten', 'Gemm']);
      expect(lrn.nodes.at(-1)).toBe(lrn.node);
      expect(new Set(lrn.nodes).size).toBe(lrn.nodes.length);
      const rf = g.layers.map((l) => l.receptiveField);
      expect(rf[0]).toEqual({ size: [3, 3], stride: [1, 1], offset: [0, 0] });
      expect(rf[2]).toEqual(rf[1]); // LRN mixes channels only
      expect(rf[3]).toEqual({ size: [5, 5], stride: [2, 2], offset: [0, 0] });
      expect(rf[4]).toEqual({ size: [9, 9], stride: [4, 4], offset: [2, 2] });
      expect(rf[6]).toEqual({ size: [16, 16], stride: [0, 0], offset: [7.5, 7.5] });
    });
  }

  it('opset 9 export: the weights listed among the inputs are not taken for image inputs', () => {
    const m = fixture('torch-lrn-opset9.onnx');
    expect(m.graph!.input.length).toBe(7);
    expect(analyzeGraph(m, 'x').input.dims).toEqual(['N', 3, 16, 16]);
  });

  it('does not fold an LRN subgraph whose intermediate values are used elsewhere', () => {
    const m = fixture('torch-lrn-static.onnx');
    const pow = m.graph!.node.find((n) => n.opType === 'Pow')!;
    m.graph!.output.push({ ...m.graph!.output[0], name: pow.output[0] });
    const g = analyzeGraph(m, 'x');
    expect(g.layers.some((l) => l.op === 'LRN')).toBe(false);
    expect(g.layers.map((l) => l.op)).toContain('AveragePool'); // the primitives are now layers of their own
  });
});

describe('analyzeGraph on built models', () => {
  it('ZF-like test model: native LRN, kinds, params, topological order', () => {
    const g = analyzeGraph(parseModel(zfTestModel(), 'zf.onnx'), 'zf.onnx');
    expect(g.input).toEqual({ name: 'input', dims: ['N', 3, 224, 224], layout: 'NCHW', channels: 3, height: 224, width: 224 });
    expect(g.layers.map((l) => l.id)).toEqual([
      'conv1', 'relu1', 'pool1', 'norm1', 'conv2', 'relu2', 'pool2', 'norm2', 'conv3', 'relu3', 'conv4', 'relu4',
      'conv5', 'relu5', 'pool5', 'flatten', 'fc6', 'relu6', 'logits',
    ]);
    const norm1 = g.layers.find((l) => l.id === 'norm1')!;
    expect(norm1).toMatchObject({ op: 'LRN', kind: 'norm', nodes: ['norm1'] });
    expect(g.layers.find((l) => l.id === 'conv1')!.params).toBe(8 * 3 * 49 + 8);
    expect(g.layers.find((l) => l.id === 'fc6')!.params).toBe(32 * 16 * 6 * 6 + 32);
    expect(g.opset).toBe(13);
    expect(g.initializers.get('conv1.weight')!.dims).toEqual([8n, 3n, 7n, 7n]);
  });

  it('MatMul + bias Add is one fc layer; BatchNormalization counts its 4 tensors', () => {
    const b = new GraphBuilder();
    let h = b.input('x', [1, 1, 6, 6]);
    h = b.batchNorm(b.conv(h, { outChannels: 3, kernel: 3, bias: false, name: 'c' }), { name: 'bn' });
    h = b.matmul(b.flatten(h), { out: 4, name: 'mm' });
    b.output(h, 'out');
    const g = analyzeGraph(parseModel(b.build(), 'mm.onnx'), 'mm.onnx');
    expect(g.layers.map((l) => [l.id, l.op, l.kind, l.params])).toEqual([
      ['c', 'Conv', 'conv', 27],
      ['bn', 'BatchNormalization', 'norm', 12],
      ['flatten1', 'Flatten', 'other', 0],
      ['out', 'MatMul', 'fc', 48 * 4 + 4],
    ]);
    expect(g.layers[3]).toMatchObject({ node: 'mm_add', nodes: ['mm', 'mm_add'] });
  });

  it('names unnamed and duplicate-named nodes stably, and sorts nodes the file lists out of order', () => {
    const b = new GraphBuilder();
    let h = b.input('x', [1, 3, 8, 8]);
    h = b.relu(b.conv(h, { outChannels: 2, kernel: 3 }));
    h = b.relu(h);
    b.output(h, 'y');
    const m = parseModel(b.build(), 'n.onnx');
    const [conv, relu1, relu2] = m.graph!.node;
    conv.name = '';
    relu1.name = 'same';
    relu2.name = 'same';
    m.graph!.node = [relu2, conv, relu1]; // not topological
    const g = analyzeGraph(m, 'n.onnx');
    // The first "same" in file order keeps its name; the names use file positions, not the sorted order.
    expect(g.nodes.map((n) => n.name)).toEqual(['Conv_1', 'Relu_2', 'same']);
    expect(g.layers.map((l) => l.node)).toEqual(['Conv_1', 'Relu_2', 'same']);
    expect(g.layers.map((l) => l.id)).toEqual([conv.output[0], relu1.output[0], 'y']);
    expect(g.nodes[0].attrs).toMatchObject({ kernel_shape: [3, 3], group: 1 });
  });

  it('a cycle is MODEL_UNSUPPORTED naming nodes on it', () => {
    const e = analyzeError((b) => {
      const x = b.input('x', [1, 3, 4, 4]);
      const [a] = b.node('Add', [x, 'c1'], {}, 1, { name: 'a1' });
      const [c] = b.node('Relu', [a], {}, 1, { name: 'c1' });
      b.output(c);
    });
    expect(e.code).toBe('MODEL_UNSUPPORTED');
    expect(e.message).toMatch(/bad\.onnx: the graph has a cycle through "a1" \(Add\), "c1" \(Relu\)/);
  });

  it('an output that ignores the input is MODEL_UNSUPPORTED', () => {
    const e = analyzeError((b) => {
      b.input('x', [1, 3, 4, 4]);
      const w = b.initializer('w', [2], [1, 2]);
      b.output(b.node('Identity', [w])[0], 'y');
    });
    expect(e.message).toBe('bad.onnx: output "y" does not depend on input "x"');
  });
});

describe('image input', () => {
  const cases: [string, (b: GraphBuilder) => void, RegExp][] = [
    ['a 2-D input', (b) => b.output(b.node('Relu', [b.input('features', ['N', 12])])[0]), /input "features" float \[N, 12\] is 2-D, not 4-D/],
    ['5 channels', (b) => b.output(b.node('Relu', [b.input('x', [1, 5, 8, 8])])[0]), /input "x" float \[1, 5, 8, 8\] has 5 channels/],
    ['symbolic H and W', (b) => b.output(b.node('Relu', [b.input('x', ['N', 3, 'H', 'W'])])[0]), /\[N, 3, H, W\] has no fixed height and width/],
    ['symbolic channels', (b) => b.output(b.node('Relu', [b.input('x', ['N', 'C', 8, 8])])[0]), /has "C" channels/],
    ['uint8 pixels', (b) => b.output(b.node('Cast', [b.input('x', [1, 3, 8, 8], TensorProto_DataType.UINT8)], { to: 1 })[0]), /input "x" uint8 \[1, 3, 8, 8\] is not float32/],
    [
      'two inputs',
      (b) => b.output(b.node('Add', [b.input('a', [1, 3, 8, 8]), b.input('b', [1, 3, 8, 8])])[0]),
      /it has 2 inputs \("a" float \[1, 3, 8, 8\], "b" float \[1, 3, 8, 8\]\)/,
    ],
  ];
  for (const [what, build, message] of cases) {
    it(`${what} is MODEL_NO_IMAGE_INPUT, described`, () => {
      const e = analyzeError(build, '/models/thing.onnx');
      expect(e.code).toBe('MODEL_NO_IMAGE_INPUT');
      expect(e.file).toBe('/models/thing.onnx');
      expect(e.message).toMatch(/^thing\.onnx has no usable image input: /);
      expect(e.message).toMatch(message);
      expect(e.message).toMatch(/Convscope needs one float image input N×C×H×W with C = 1 or 3 and fixed H and W/);
    });
  }

  it('an input without a shape is described as such', () => {
    const b = new GraphBuilder();
    b.output(b.node('Relu', [b.input('x', [1, 3, 8, 8])])[0]);
    const m = parseModel(b.build(), 'noshape.onnx');
    const t = m.graph!.input[0].type!.value;
    if (t.case === 'tensorType') t.value.shape = undefined;
    expect(() => analyzeGraph(m, 'noshape.onnx')).toThrow(/input "x" float \(no shape\)/);
  });

  it('accepts 1 channel and a symbolic batch', () => {
    const b = new GraphBuilder();
    b.output(b.relu(b.input('gray', ['batch', 1, 28, 28])));
    const dims: Dim[] = ['batch', 1, 28, 28];
    expect(analyzeGraph(parseModel(b.build(), 'g.onnx'), 'g.onnx').input).toEqual({ name: 'gray', dims, layout: 'NCHW', channels: 1, height: 28, width: 28 });
  });
});
