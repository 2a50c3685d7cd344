import { describe, expect, it } from 'vitest';
import { defaultPreprocessing } from '../images/preprocess.ts';
import { GraphBuilder } from '../onnx/builder.ts';
import { analyzeGraph } from '../onnx/graph.ts';
import { parseModel } from '../onnx/model.ts';
import { zfTestModel } from '../onnx/test-models.ts';
import { preprocessingHints } from './preprocessing-hints.ts';

const IMAGENET = defaultPreprocessing(3, [32, 32]);
const RAW = { ...IMAGENET, scale: 1, mean: [0, 0, 0], std: [1, 1, 1] };
const UNIT = { ...IMAGENET, scale: 255, mean: [0, 0, 0], std: [1, 1, 1] };

/** A small convnet whose input first goes through `op` with a per-channel constant (and an optional Transpose from NHWC). */
function normalisingModel(op: 'Sub' | 'Div' | 'Mul' | 'BatchNormalization', values: number[], nhwc = false) {
  const b = new GraphBuilder();
  let x = b.input('image', nhwc ? [1, 32, 32, 3] : [1, 3, 32, 32]);
  if (nhwc) x = b.node('Transpose', [x], { perm: [0, 3, 1, 2] }, 1, { shapes: [[1, 3, 32, 32]] })[0];
  if (op === 'BatchNormalization') x = b.batchNorm(x, { name: 'input_bn' });
  else x = b.node(op, [x, b.initializer('norm_const', [1, 3, 1, 1], values)], {}, 1, { name: 'normalise', shapes: [[1, 3, 32, 32]] })[0];
  x = b.relu(b.conv(x, { outChannels: 4, kernel: 3, name: 'conv1' }));
  b.output(b.gemm(b.flatten(x), { out: 5 }));
  return analyzeGraph(parseModel(b.build(), 'm.onnx'), 'm.onnx');
}

describe('preprocessingHints', () => {
  it('says nothing for a model that takes its input as it is (zf-mini-like)', () => {
    const g = analyzeGraph(parseModel(zfTestModel(), 'zf.onnx'), 'zf.onnx');
    expect(preprocessingHints(g, defaultPreprocessing(g.input.channels, [g.input.height, g.input.width]))).toEqual([]);
  });

  it('a Caffe-style mean subtraction in the graph: expects 0–255, ImageNet mean/std would normalise twice', () => {
    const g = normalisingModel('Sub', [123.68, 116.78, 103.94]);
    const [hint] = preprocessingHints(g, IMAGENET);
    expect(hint).toContain('node "normalise" (Sub [123.7, 116.8, 103.9])');
    expect(hint).toContain('set scale 1, mean 0 and std 1');
    expect(preprocessingHints(g, RAW)).toEqual([]);
  });

  it('Keras Rescaling (Mul by 1/127.5) is found', () => {
    const g = normalisingModel('Mul', [1 / 127.5, 1 / 127.5, 1 / 127.5]);
    expect(preprocessingHints(g, IMAGENET)[0]).toMatch(/node "normalise" \(Mul \[0\.00784, .*\).*expects raw pixel values 0–255/);
    expect(preprocessingHints(g, RAW)).toEqual([]);
  });

  it('a 0–1 mean in the graph: expects 0–1 pixels', () => {
    const g = normalisingModel('Sub', [0.485, 0.456, 0.406]);
    expect(preprocessingHints(g, IMAGENET)[0]).toContain('set scale 255, mean 0 and std 1');
    expect(preprocessingHints(g, UNIT)).toEqual([]);
  });

  it('a BatchNormalization first: mean/std likely twice', () => {
    const g = normalisingModel('BatchNormalization', []);
    expect(preprocessingHints(g, IMAGENET)[0]).toContain('node "input_bn" (BatchNormalization)');
    expect(preprocessingHints(g, UNIT)).toEqual([]);
  });

  it('a Div by a small constant (not a 0–255 rescale) alone says nothing', () => {
    const g = normalisingModel('Div', [0.229, 0.224, 0.225]);
    expect(preprocessingHints(g, IMAGENET)).toEqual([]);
  });
});
