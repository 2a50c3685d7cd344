// Ready-made models built with GraphBuilder, for tests anywhere in the project.
import { TensorProto_DataType } from 'onnx-buf';
import type { Dim } from '../../common/types.ts';
import { GraphBuilder } from './builder.ts';

export interface ZfTestModelOptions {
  /** Square input side. Default 224. */
  inputSize?: number;
  channels?: 1 | 3;
  classes?: number;
  seed?: number;
  /** End with a Softmax node (many zoo models do). Default false. */
  softmax?: boolean;
  /** The input's batch dimension: symbolic (default 'N') or fixed, as many exports have it. */
  batch?: number | string;
}

/**
 * A narrow ZF-net-shaped convnet (Zeiler & Fergus 2014, fig. 3) with native LRN nodes:
 * conv7/2 → relu → maxpool3/2 → LRN → conv5/2 → relu → maxpool3/2 → LRN → 3 × (conv3 → relu)
 * → maxpool3/2 → flatten → gemm → relu → gemm. At 224×224 this runs in a few ms on a CPU.
 * Tensor names: input, conv1, relu1, pool1, norm1, conv2, …, conv5, relu5, pool5, flatten, fc6, relu6, logits.
 */
export function zfTestModel(opts: ZfTestModelOptions = {}): Uint8Array {
  const size = opts.inputSize ?? 224;
  const b = new GraphBuilder({ opset: 13, seed: opts.seed ?? 1 });
  const dims: Dim[] = [opts.batch ?? 'N', opts.channels ?? 3, size, size];
  let h = b.input('input', dims);
  h = b.conv(h, { outChannels: 8, kernel: 7, stride: 2, pad: 3, name: 'conv1' });
  h = b.relu(h, 'relu1');
  h = b.maxPool(h, { kernel: 3, stride: 2, pad: 1, name: 'pool1' });
  h = b.lrn(h, { size: 5, name: 'norm1' });
  h = b.conv(h, { outChannels: 16, kernel: 5, stride: 2, pad: 2, name: 'conv2' });
  h = b.relu(h, 'relu2');
  h = b.maxPool(h, { kernel: 3, stride: 2, pad: 1, name: 'pool2' });
  h = b.lrn(h, { size: 5, name: 'norm2' });
  for (const [i, c] of [[3, 24], [4, 24], [5, 16]]) {
    h = b.conv(h, { outChannels: c, kernel: 3, pad: 1, name: `conv${i}` });
    h = b.relu(h, `relu${i}`);
  }
  h = b.maxPool(h, { kernel: 3, stride: 2, name: 'pool5' });
  h = b.flatten(h, 1, 'flatten');
  h = b.gemm(h, { out: 32, name: 'fc6' });
  h = b.relu(h, 'relu6');
  h = b.gemm(h, { out: opts.classes ?? 10, name: opts.softmax ? 'fc7' : 'logits' });
  if (opts.softmax) h = b.softmax(h, -1, 'probabilities');
  b.output(h);
  return b.build();
}

/**
 * A small convnet with values of several element types and no value_info, as exporters leave them:
 * conv → relu "r1" → Cast to int64 "as_int" → Cast back "as_float" (a quantise-to-integers step on
 * the spine) → the leaky ReLU a Where exports: Greater "positive" (bool), Mul "leak", Where "leaky" →
 * maxpool "pool" → a torch-style flatten whose target shape comes from a side branch
 * Shape → Gather → Cast to float and back to int64 → Unsqueeze → Concat → Reshape "flat" → gemm "logits".
 * Input "x" N×1×16×16.
 */
export function mixedTypesTestModel(seed = 3): Uint8Array {
  const { FLOAT, INT64, BOOL } = TensorProto_DataType;
  const b = new GraphBuilder({ opset: 13, seed });
  let h = b.input('x', ['N', 1, 16, 16]);
  h = b.relu(b.conv(h, { outChannels: 4, kernel: 3, pad: 1, name: 'conv1' }), 'r1');
  const shape = b.shape(h);
  // ×8 before the int64 Cast keeps the truncation from zeroing the small activations.
  const [scaled] = b.node('Mul', [h, b.initializer('eight', [], [8])], {}, 1, { name: 'scaled', shapes: [shape] });
  const [asInt] = b.node('Cast', [scaled], { to: INT64 }, 1, { name: 'as_int', shapes: [shape], types: [INT64] });
  const [asFloat] = b.node('Cast', [asInt], { to: FLOAT }, 1, { name: 'as_float', shapes: [shape] });
  const [positive] = b.node('Greater', [asFloat, b.initializer('zero', [], [0])], {}, 1, { name: 'positive', shapes: [shape], types: [BOOL] });
  const [leak] = b.node('Mul', [asFloat, b.initializer('slope', [], [0.1])], {}, 1, { name: 'leak', shapes: [shape] });
  const [leaky] = b.node('Where', [positive, asFloat, leak], {}, 1, { name: 'leaky', shapes: [shape] });
  h = b.maxPool(leaky, { kernel: 2, stride: 2, name: 'pool' });
  const [dims] = b.node('Shape', [h], {}, 1, { name: 'dims', types: [INT64] });
  const [n] = b.node('Gather', [dims, b.int64Initializer('i0', [], [0])], { axis: 0 }, 1, { name: 'batch', types: [INT64] });
  const [nf] = b.node('Cast', [n], { to: FLOAT }, 1, { name: 'batch_float' });
  const [ni] = b.node('Cast', [nf], { to: INT64 }, 1, { name: 'batch_int', types: [INT64] });
  const [n1] = b.node('Unsqueeze', [ni, b.int64Initializer('axes0', [1], [0])], {}, 1, { name: 'batch_1', types: [INT64] });
  const [target] = b.node('Concat', [n1, b.int64Initializer('minus1', [1], [-1])], { axis: 0 }, 1, { name: 'target', types: [INT64] });
  const [flat] = b.node('Reshape', [h, target], {}, 1, { name: 'flat', shapes: [['N', 4 * 8 * 8]] });
  b.output(b.gemm(flat, { out: 3, name: 'logits' }));
  return b.build();
}

/**
 * ZF-net at the paper's Fig. 3 widths (conv 96-256-384-384-256, fc 4096-4096-1000) with native LRN
 * nodes, at any square input side (224 is the paper's: 224 → 110 → 55 → 26 → 13; the tests use less).
 * Tensor names: input, conv1, relu1, pool1, norm1, …, relu5, pool5, flatten, fc6, relu6, fc7, relu7, fc8.
 */
export function zfFullWidthModel(inputSize: number, seed = 13): Uint8Array {
  const b = new GraphBuilder({ opset: 13, seed });
  let h = b.input('input', ['N', 3, inputSize, inputSize]);
  h = b.relu(b.conv(h, { outChannels: 96, kernel: 7, stride: 2, pad: 1, name: 'conv1' }), 'relu1');
  h = b.lrn(b.maxPool(h, { kernel: 3, stride: 2, pad: 1, name: 'pool1' }), { size: 5, bias: 2, name: 'norm1' });
  h = b.relu(b.conv(h, { outChannels: 256, kernel: 5, stride: 2, name: 'conv2' }), 'relu2');
  h = b.lrn(b.maxPool(h, { kernel: 3, stride: 2, pad: 1, name: 'pool2' }), { size: 5, bias: 2, name: 'norm2' });
  for (const [i, c] of [[3, 384], [4, 384], [5, 256]]) h = b.relu(b.conv(h, { outChannels: c, kernel: 3, pad: 1, name: `conv${i}` }), `relu${i}`);
  h = b.flatten(b.maxPool(h, { kernel: 3, stride: 2, name: 'pool5' }), 1, 'flatten');
  h = b.relu(b.gemm(h, { out: 4096, name: 'fc6' }), 'relu6');
  h = b.relu(b.gemm(h, { out: 4096, name: 'fc7' }), 'relu7');
  b.output(b.gemm(h, { out: 1000, name: 'fc8' }));
  return b.build();
}
