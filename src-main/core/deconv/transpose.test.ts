// Planning through a Transpose: tf2onnx's NCHW → NHWC before a Keras Flatten reverses as its
// inverse permutation (the numbers are held to the channels-first twin in service/nhwc.test.ts).
import { describe, expect, it } from 'vitest';
import { GraphBuilder, analyzeGraph, findSwitches, nhwcTestModels, parseModel } from '../onnx/index.ts';
import { planProjection } from './plan.ts';

describe('a Transpose on the reverse path', () => {
  it('from the dense layer of a channels-last model: reverses as the inverse of its per-sample perm', () => {
    const model = parseModel(nhwcTestModels({ inputSize: 16, classes: 4 }).nhwc, 'keras.onnx');
    const plan = planProjection(analyzeGraph(model, 'keras.onnx'), findSwitches(model), 'logits');
    expect(plan.steps.map((s) => s.kind)).toEqual(['addBackward', 'gemmTranspose', 'reshape', 'transposeBackward', 'relu', 'convTranspose', 'maxUnpool', 'relu', 'convTranspose']);
    expect(plan.steps.find((s) => s.kind === 'transposeBackward')).toMatchObject({ node: 'to_nhwc', op: 'Transpose', from: 'to_nhwc', to: ['relu2'], perm: [1, 2, 0] });
    // Both ends are layers, so the forward pass taps their shapes.
    expect(plan.shapes.get('to_nhwc')).toEqual({ tensor: 'to_nhwc' });
  });

  it('one that moves the batch axis is an error naming the node and op', () => {
    const b = new GraphBuilder({ opset: 13 });
    const h = b.relu(b.conv(b.input('input', [1, 3, 8, 8]), { outChannels: 2, kernel: 3, pad: 1, name: 'conv1' }), 'relu1');
    const [t] = b.node('Transpose', [h], { perm: [1, 0, 2, 3] }, 1, { name: 'swap', shapes: [[2, 1, 8, 8]] });
    b.output(b.gemm(b.reshape(t, [1, -1], 'flat'), { out: 3, name: 'logits' }));
    const model = parseModel(b.build(), 'm.onnx');
    expect(() => planProjection(analyzeGraph(model, 'm.onnx'), findSwitches(model), 'logits')).toThrow(
      'node "swap" (Transpose) is on the path from "logits" to the input "input"; only a Transpose that keeps the batch axis first (perm [0, …]) is supported',
    );
  });
});
