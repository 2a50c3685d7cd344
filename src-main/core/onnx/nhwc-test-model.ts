// A channels-last model as tf2onnx exports a Keras convnet, and its channels-first twin with the
// same weights: the twin is an ordinary N×C×H×W model, so whatever Convscope computes for the
// channels-last one can be checked against it (layout.ts, DESIGN §3 "Modern activations and layouts").
import type { Dim } from '../../common/types.ts';
import { GraphBuilder } from './builder.ts';
import { draw, seededRandom } from './seeded-random.ts';

export interface NhwcTestModelOptions {
  /** Square input side, even. Default 32. */
  inputSize?: number;
  classes?: number;
  seed?: number;
}

/**
 * Both models, tensor names shared: input_1 → conv1 → relu1 → pool1 (max 2/2) → conv2 → relu2 →
 * flatten → dense (MatMul + Add) → logits. The NHWC one takes input_1 as unk__0×S×S×3, transposes it
 * to N×C×H×W first ("to_nchw") and back to N×H×W×C before the flatten ("to_nhwc"), as Keras'
 * Flatten reads H, W, C order; the twin flattens C×H×W, its dense weights' rows permuted to match.
 */
export function nhwcTestModels(opts: NhwcTestModelOptions = {}): { nhwc: Uint8Array; nchw: Uint8Array } {
  const S = opts.inputSize ?? 32;
  const classes = opts.classes ?? 10;
  const rnd = seededRandom(opts.seed ?? 5);
  const [C1, C2, P] = [8, 16, S / 2];
  const w1 = draw(rnd, [C1, 3, 3, 3], Math.sqrt(3 / 27));
  const b1 = draw(rnd, [C1], 0.1);
  const w2 = draw(rnd, [C2, C1, 3, 3], Math.sqrt(3 / (C1 * 9)));
  const b2 = draw(rnd, [C2], 0.1);
  const features = C2 * P * P;
  const dense = draw(rnd, [features, classes], Math.sqrt(3 / features)); // rows in H, W, C order
  const bias = draw(rnd, [classes], 0.1);
  const twinDense = new Float32Array(dense.length);
  for (let c = 0; c < C2; c++)
    for (let y = 0; y < P; y++)
      for (let x = 0; x < P; x++) {
        const from = ((y * P + x) * C2 + c) * classes;
        twinDense.set(dense.subarray(from, from + classes), ((c * P + y) * P + x) * classes);
      }

  const build = (channelsLast: boolean): Uint8Array => {
    const b = new GraphBuilder({ opset: 13, producer: channelsLast ? 'tf2onnx' : 'convscope-builder' });
    const batch: Dim = 'unk__0';
    let h = b.input('input_1', channelsLast ? [batch, S, S, 3] : [batch, 3, S, S]);
    if (channelsLast) h = b.node('Transpose', [h], { perm: [0, 3, 1, 2] }, 1, { name: 'to_nchw', shapes: [[batch, 3, S, S]] })[0];
    h = b.relu(b.conv(h, { outChannels: C1, kernel: 3, pad: 1, weights: w1, biasValues: b1, name: 'conv1' }), 'relu1');
    h = b.maxPool(h, { kernel: 2, stride: 2, name: 'pool1' });
    h = b.relu(b.conv(h, { outChannels: C2, kernel: 3, pad: 1, weights: w2, biasValues: b2, name: 'conv2' }), 'relu2');
    if (channelsLast) h = b.node('Transpose', [h], { perm: [0, 2, 3, 1] }, 1, { name: 'to_nhwc', shapes: [[batch, P, P, C2]] })[0];
    h = b.reshape(h, [0, -1], 'flatten');
    h = b.matmul(h, { out: classes, weights: channelsLast ? dense : twinDense, biasValues: bias, name: 'dense' });
    b.output(h, 'logits');
    return b.build();
  };
  return { nhwc: build(true), nchw: build(false) };
}
