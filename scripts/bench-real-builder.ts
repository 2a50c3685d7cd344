// The real-size bench's four models built with the project's GraphBuilder, for machines without
// PyTorch (bench-real.ts falls back to these, and skips the PyTorch columns). Same topologies as
// scripts/bench-real-models.py, with two differences from users' PyTorch exports: LRN is a native
// ONNX LRN node (not PyTorch's primitive subgraph), and ResNet18's BatchNormalization nodes stay
// (PyTorch's export folds them into the convolutions).
import { GraphBuilder } from '../src-main/core/onnx/builder.ts';
import { zfFullWidthModel } from '../src-main/core/onnx/test-models.ts';

export interface BuiltModel {
  bytes: Uint8Array;
  /** The tensor the bench projects from. */
  layer: string;
}

const SEED = 13;

/** The paper's Fig. 3: 224 → 110 → 55 → 26 → 13 → 13 → 13 → 6, then 9216-4096-4096-1000. */
function zf(): BuiltModel {
  return { bytes: zfFullWidthModel(224, SEED), layer: 'relu5' };
}

function alexnet(): BuiltModel {
  const b = new GraphBuilder({ opset: 13, seed: SEED });
  let h = b.input('input', ['N', 3, 224, 224]);
  h = b.relu(b.conv(h, { outChannels: 64, kernel: 11, stride: 4, pad: 2, name: 'conv1' }), 'relu1');
  h = b.maxPool(h, { kernel: 3, stride: 2, name: 'pool1' });
  h = b.relu(b.conv(h, { outChannels: 192, kernel: 5, pad: 2, name: 'conv2' }), 'relu2');
  h = b.maxPool(h, { kernel: 3, stride: 2, name: 'pool2' });
  for (const [i, c] of [[3, 384], [4, 256], [5, 256]]) h = b.relu(b.conv(h, { outChannels: c, kernel: 3, pad: 1, name: `conv${i}` }), `relu${i}`);
  h = b.maxPool(h, { kernel: 3, stride: 2, name: 'pool5' });
  h = b.flatten(b.averagePool(h, { kernel: 1, stride: 1, name: 'avgpool' }), 1, 'flatten');
  h = b.relu(b.gemm(h, { out: 4096, name: 'fc6' }), 'relu6');
  h = b.relu(b.gemm(h, { out: 4096, name: 'fc7' }), 'relu7');
  b.output(b.gemm(h, { out: 1000, name: 'fc8' }));
  return { bytes: b.build(), layer: 'relu5' };
}

/** torchvision's vgg11, configuration A. */
function vgg11(): BuiltModel {
  const b = new GraphBuilder({ opset: 13, seed: SEED });
  let h = b.input('input', ['N', 3, 224, 224]);
  let conv = 0;
  let pool = 0;
  for (const v of [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'] as const) {
    if (v === 'M') h = b.maxPool(h, { kernel: 2, stride: 2, name: `pool${++pool}` });
    else h = b.relu(b.conv(h, { outChannels: v, kernel: 3, pad: 1, name: `conv${++conv}` }), `relu${conv}`);
  }
  h = b.flatten(b.averagePool(h, { kernel: 1, stride: 1, name: 'avgpool' }), 1, 'flatten');
  // relu6 and relu7 are conv layers' here.
  h = b.relu(b.gemm(h, { out: 4096, name: 'fc6' }), 'fc6.relu');
  h = b.relu(b.gemm(h, { out: 4096, name: 'fc7' }), 'fc7.relu');
  b.output(b.gemm(h, { out: 1000, name: 'fc8' }));
  return { bytes: b.build(), layer: `relu${conv}` };
}

/** torchvision's resnet18: BasicBlocks [2, 2, 2, 2], BatchNorm after every conv, global average pool, fc 1000. */
function resnet18(): BuiltModel {
  const b = new GraphBuilder({ opset: 13, seed: SEED });
  const convBn = (x: string, name: string, outChannels: number, kernel: number, stride: number) =>
    b.batchNorm(b.conv(x, { outChannels, kernel, stride, pad: (kernel - 1) / 2, bias: false, name }), { name: `${name}.bn` });
  let h = b.input('input', ['N', 3, 224, 224]);
  h = b.relu(convBn(h, 'conv1', 64, 7, 2), 'relu');
  h = b.maxPool(h, { kernel: 3, stride: 2, pad: 1, name: 'maxpool' });
  let inplanes = 64;
  [64, 128, 256, 512].forEach((planes, li) => {
    for (let k = 0; k < 2; k++) {
      const block = `layer${li + 1}.${k}`;
      const stride = k === 0 && li > 0 ? 2 : 1;
      const identity = stride !== 1 || inplanes !== planes ? convBn(h, `${block}.downsample`, planes, 1, stride) : h;
      let out = b.relu(convBn(h, `${block}.conv1`, planes, 3, stride), `${block}.relu`);
      out = convBn(out, `${block}.conv2`, planes, 3, 1);
      h = b.relu(b.add(out, identity, `${block}.add`), `${block}.relu_1`);
      inplanes = planes;
    }
  });
  h = b.flatten(b.globalAveragePool(h, 'avgpool'), 1, 'flatten');
  b.output(b.gemm(h, { out: 1000, name: 'fc' }));
  return { bytes: b.build(), layer: 'layer4.1.relu_1' };
}

export const builtModels: Record<string, () => BuiltModel> = { zf, alexnet, vgg11, resnet18 };
