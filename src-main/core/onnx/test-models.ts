// Ready-made models built with GraphBuilder, for tests anywhere in the project.
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
