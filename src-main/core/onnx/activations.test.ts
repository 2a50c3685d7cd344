// Recognition of modern activations and squeeze-excitation gates (activations.ts) on small graphs
// written the way exporters write them, and near-misses that must not be taken for them.
import { describe, expect, it } from 'vitest';
import { GraphBuilder, floatAttr } from './builder.ts';
import { type GraphSummary, analyzeGraph } from './graph.ts';
import { parseModel } from './model.ts';

const scalar = (b: GraphBuilder, name: string, v: number) => b.initializer(name, [], [v]);

/** Shapes for the builder: the squeeze-excitation branch is pooled to 1×1, everything else is the conv's 4×8×8. */
const shapeOf = (name: string) => (['squeeze', 'gate'].includes(name) ? [1, 4, 1, 1] : [1, 4, 8, 8]);

/** input → conv (4 maps) → `body` → GlobalAveragePool → Flatten → Gemm. */
function analyzed(body: (b: GraphBuilder, x: string) => string, opset = 13): GraphSummary {
  const b = new GraphBuilder({ opset });
  const x = b.conv(b.input('input', [1, 3, 8, 8]), { outChannels: 4, kernel: 3, pad: 1, name: 'conv' });
  const y = body(b, x);
  b.output(b.gemm(b.flatten(b.globalAveragePool(y, 'gap')), { out: 2, name: 'fc' }), 'logits');
  return analyzeGraph(parseModel(b.build(), 'act.onnx'), 'act.onnx');
}

const layer = (g: GraphSummary, id: string) => g.layers.find((l) => l.id === id);

describe('elementwise activations', () => {
  it('Clip with min 0 is ReLU6 (opset 13 constant inputs, opset 6 attributes)', () => {
    const g = analyzed((b, x) => b.node('Clip', [x, scalar(b, 'lo', 0), scalar(b, 'hi', 6)], {}, 1, { name: 'relu6', shapes: [shapeOf('relu6')] })[0]);
    expect(layer(g, 'relu6')).toMatchObject({ op: 'Clip', kind: 'relu', reverse: { rule: 'rectify', form: 'ReLU6 (Clip 0…6)', input: 'conv' } });
    const old = analyzed((b, x) => b.node('Clip', [x], { min: floatAttr(0), max: floatAttr(6) }, 1, { name: 'relu6', shapes: [shapeOf('relu6')] })[0], 6);
    expect(layer(old, 'relu6')?.reverse).toEqual({ rule: 'rectify', form: 'ReLU6 (Clip 0…6)', input: 'conv' });
    const oneSided = analyzed((b, x) => b.node('Clip', [x, scalar(b, 'lo', 0.5)], {}, 1, { name: 'clip', shapes: [shapeOf('clip')] })[0]);
    expect(layer(oneSided, 'clip')?.reverse).toMatchObject({ rule: 'rectify', form: 'Clip 0.5…∞' });
  });

  it('Clip with a negative or missing min is not a rectifier', () => {
    const negative = analyzed((b, x) => b.node('Clip', [x, scalar(b, 'lo', -1), scalar(b, 'hi', 1)], {}, 1, { name: 'clip', shapes: [shapeOf('clip')] })[0]);
    expect(layer(negative, 'clip')).toMatchObject({ op: 'Clip', kind: 'other' });
    expect(layer(negative, 'clip')?.reverse).toBeUndefined();
    const noMin = analyzed((b, x) => b.node('Clip', [x, '', scalar(b, 'hi', 1)], {}, 1, { name: 'clip', shapes: [shapeOf('clip')] })[0]);
    expect(layer(noMin, 'clip')?.reverse).toBeUndefined();
  });

  it('LeakyRelu, HardSwish and Gelu nodes', () => {
    const g = analyzed((b, x) => b.node('Gelu', [b.node('HardSwish', [b.leakyRelu(x, 0.1, 'leaky')], {}, 1, { name: 'hswish', shapes: [shapeOf('hswish')] })[0]], {}, 1, { name: 'gelu', shapes: [shapeOf('gelu')] })[0], 20);
    expect(['leaky', 'hswish', 'gelu'].map((id) => [layer(g, id)?.kind, layer(g, id)?.reverse])).toEqual([
      ['relu', { rule: 'rectify', form: 'LeakyRelu', input: 'conv' }],
      ['relu', { rule: 'rectify', form: 'HardSwish', input: 'leaky' }],
      ['relu', { rule: 'rectify', form: 'Gelu', input: 'hswish' }],
    ]);
  });

  it('x·Sigmoid(x) and x·HardSigmoid(x), either operand order, are one layer each', () => {
    const g = analyzed((b, x) => {
      const s = b.node('Mul', [x, b.node('Sigmoid', [x], {}, 1, { name: 'sig', shapes: [shapeOf('sig')] })[0]], {}, 1, { name: 'silu', shapes: [shapeOf('silu')] })[0];
      return b.node('Mul', [b.node('HardSigmoid', [s], { alpha: floatAttr(1 / 6) }, 1, { name: 'hsig', shapes: [shapeOf('hsig')] })[0], s], {}, 1, { name: 'hswish', shapes: [shapeOf('hswish')] })[0];
    });
    expect(layer(g, 'silu')).toMatchObject({ op: 'SiLU', kind: 'relu', nodes: ['sig', 'silu'], reverse: { rule: 'rectify', form: 'SiLU: x·Sigmoid(x)', input: 'conv' } });
    expect(layer(g, 'hswish')).toMatchObject({ op: 'HardSwish', kind: 'relu', nodes: ['hsig', 'hswish'], reverse: { rule: 'rectify', input: 'silu' } });
    // The gate factors are parts of the activations, not layers.
    expect(layer(g, 'sig')).toBeUndefined();
    expect(layer(g, 'hsig')).toBeUndefined();
    // Folded activations keep x's receptive field.
    expect(layer(g, 'hswish')?.receptiveField).toEqual(layer(g, 'conv')?.receptiveField);
  });

  it("torch's GELU decompositions: x·(1 + Erf(x/√2))·0.5 and the Tanh form", () => {
    const g = analyzed((b, x) => {
      // As torch 1.13 exports nn.GELU() at opset 13.
      const erf = b.node('Erf', [b.node('Div', [x, scalar(b, 'sqrt2', Math.SQRT2)], {}, 1, { name: 'div', shapes: [shapeOf('div')] })[0]], {}, 1, { name: 'erf', shapes: [shapeOf('erf')] })[0];
      const half = b.node('Mul', [x, b.node('Add', [erf, scalar(b, 'one', 1)], {}, 1, { name: 'add', shapes: [shapeOf('add')] })[0]], {}, 1, { name: 'mul', shapes: [shapeOf('mul')] })[0];
      const y = b.node('Mul', [half, scalar(b, 'half', 0.5)], {}, 1, { name: 'gelu', shapes: [shapeOf('gelu')] })[0];
      // nn.GELU(approximate='tanh'): 0.5 · y · (1 + tanh(√(2/π) · (y + 0.044715 · y·y·y))).
      const cube = b.node('Mul', [y, b.node('Mul', [y, y], {}, 1, { name: 'sq', shapes: [shapeOf('sq')] })[0]], {}, 1, { name: 'cube', shapes: [shapeOf('cube')] })[0];
      const inner = b.node('Add', [y, b.node('Mul', [scalar(b, 'k', 0.044715), cube], {}, 1, { name: 'kc', shapes: [shapeOf('kc')] })[0]], {}, 1, { name: 'inner', shapes: [shapeOf('inner')] })[0];
      const t = b.node('Tanh', [b.node('Mul', [scalar(b, 'beta', 0.7978845608), inner], {}, 1, { name: 'scaled', shapes: [shapeOf('scaled')] })[0]], {}, 1, { name: 'tanh', shapes: [shapeOf('tanh')] })[0];
      const prod = b.node('Mul', [y, b.node('Add', [scalar(b, 'one2', 1), t], {}, 1, { name: 'add2', shapes: [shapeOf('add2')] })[0]], {}, 1, { name: 'prod', shapes: [shapeOf('prod')] })[0];
      return b.node('Mul', [scalar(b, 'half2', 0.5), prod], {}, 1, { name: 'gelu2', shapes: [shapeOf('gelu2')] })[0];
    });
    expect(layer(g, 'gelu')).toMatchObject({ op: 'Gelu', kind: 'relu', nodes: ['div', 'erf', 'add', 'mul', 'gelu'], reverse: { rule: 'rectify', input: 'conv' } });
    expect(layer(g, 'gelu2')).toMatchObject({ op: 'Gelu', kind: 'relu', reverse: { rule: 'rectify', input: 'gelu' } });
    expect(layer(g, 'gelu2')?.nodes).toEqual(['sq', 'cube', 'kc', 'inner', 'scaled', 'tanh', 'add2', 'prod', 'gelu2']);
    expect(g.layers.map((l) => l.id)).toEqual(['conv', 'gelu', 'gelu2', 'gap', expect.any(String), 'logits']);
  });

  it('near-misses: x·x·0.5, x·Sigmoid(y), and x·Sigmoid(x) whose Sigmoid is read elsewhere', () => {
    const g = analyzed((b, x) => {
      const sq = b.node('Mul', [b.node('Mul', [x, x], {}, 1, { name: 'xx', shapes: [shapeOf('xx')] })[0], scalar(b, 'h', 0.5)], {}, 1, { name: 'sq', shapes: [shapeOf('sq')] })[0];
      const y = b.conv(x, { outChannels: 4, kernel: 1, name: 'conv2' });
      const notSilu = b.node('Mul', [sq, b.node('Sigmoid', [y], {}, 1, { name: 'sigy', shapes: [shapeOf('sigy')] })[0]], {}, 1, { name: 'mulxy', shapes: [shapeOf('mulxy')] })[0];
      const sig = b.node('Sigmoid', [notSilu], {}, 1, { name: 'sig', shapes: [shapeOf('sig')] })[0];
      const shared = b.node('Mul', [notSilu, sig], {}, 1, { name: 'shared', shapes: [shapeOf('shared')] })[0];
      return b.add(shared, sig, 'add');
    });
    for (const id of ['sq', 'mulxy', 'shared']) expect(layer(g, id)?.reverse, id).toBeUndefined();
    expect(layer(g, 'sig')).toBeDefined();
  });
});

describe('squeeze-excitation gates', () => {
  /** torchvision's SqueezeExcitation: pool → fc1 → ReLU → fc2 → scale activation → Mul(scale, x). */
  const se = (b: GraphBuilder, x: string, pooled: string, act = 'Sigmoid') => {
    const s = b.conv(b.relu(b.conv(pooled, { outChannels: 2, kernel: 1, name: 'fc1' }), 'act'), { outChannels: 4, kernel: 1, name: 'fc2' });
    const gate = b.node(act, [s], {}, 1, { name: 'gate', shapes: [shapeOf('gate')] })[0];
    return b.node('Mul', [gate, x], {}, 1, { name: 'se', shapes: [shapeOf('se')] })[0];
  };

  it('Mul(x, Sigmoid/HardSigmoid(branch of GlobalAveragePool(x))) is a gate; the branch stays layers', () => {
    for (const act of ['Sigmoid', 'HardSigmoid']) {
      const g = analyzed((b, x) => se(b, x, b.globalAveragePool(x, 'squeeze'), act));
      expect(layer(g, 'se')).toMatchObject({ op: 'Mul', kind: 'other', reverse: { rule: 'gate', input: 'conv', gate: 'gate', form: `squeeze-excitation gate (${act} of GlobalAveragePool(x))` } });
      expect(['squeeze', 'fc1', 'act', 'fc2', 'gate'].every((id) => layer(g, id))).toBe(true);
    }
  });

  it('a ReduceMean over H and W (keepdims) pools as well', () => {
    const g = analyzed((b, x) => se(b, x, b.node('ReduceMean', [x], { axes: [2, 3], keepdims: 1 }, 1, { name: 'squeeze', shapes: [shapeOf('squeeze')] })[0]));
    expect(layer(g, 'se')?.reverse).toMatchObject({ rule: 'gate', gate: 'gate' });
  });

  it('near-misses: a gate not pooled, pooled from another tensor, or over the wrong axes', () => {
    const unpooled = analyzed((b, x) => se(b, x, x));
    expect(layer(unpooled, 'se')?.reverse).toBeUndefined();
    const other = analyzed((b, x) => se(b, x, b.globalAveragePool(b.relu(x, 'other'), 'squeeze')));
    expect(layer(other, 'se')?.reverse).toBeUndefined();
    const channels = analyzed((b, x) => {
      const m = b.node('ReduceMean', [x], { axes: [1, 2, 3], keepdims: 1 }, 1, { name: 'squeeze', shapes: [shapeOf('squeeze')] })[0];
      return b.node('Mul', [x, b.node('Sigmoid', [m], {}, 1, { name: 'gate', shapes: [shapeOf('gate')] })[0]], {}, 1, { name: 'se', shapes: [shapeOf('se')] })[0];
    });
    expect(layer(channels, 'se')?.reverse).toBeUndefined();
  });
});
