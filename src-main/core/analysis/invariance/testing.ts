// Test helpers: a model built in a test and a forward pass over it in the runtime host.
import { GraphBuilder } from '../../onnx/index.ts';
import type { RuntimeHost } from '../../runtime/host.ts';
import { chooseProvider } from '../../runtime/provider.ts';
import type { BatchForward } from '../map-maxima.ts';

/** A forward pass over a model loaded into the runtime host (the worker thread the app uses). */
export async function hostForward(host: RuntimeHost, key: string, bytes: Uint8Array, dims: [number, number, number]): Promise<BatchForward> {
  await host.load(key, bytes, chooseProvider('cpu'));
  return (batch, n, fetches) => host.run(key, { input: { dims: [n, ...dims], data: batch } }, fetches);
}

/**
 * A circular convnet: Pad(wrap) → 3×3 conv → ReLU ('relu1', equivariant to circular shifts) →
 * GlobalAveragePool ('gap', invariant) → Gemm ('logits'); and from relu1 a 2×2 stride-2 conv
 * ('strided'), which subsamples and so is not.
 */
export function circularModel(): Uint8Array {
  const b = new GraphBuilder({ opset: 19, seed: 11 });
  const x = b.input('input', ['N', 1, 16, 16]);
  const pads = b.int64Initializer('pads', [8], [0, 0, 1, 1, 0, 0, 1, 1]);
  const [p] = b.node('Pad', [x, pads], { mode: 'wrap' }, 1, { name: 'wrap', shapes: [['N', 1, 18, 18]] });
  const c = b.conv(p, { outChannels: 6, kernel: 3, name: 'conv1' });
  const r = b.relu(c, 'relu1');
  const g = b.globalAveragePool(r, 'gap');
  const f = b.flatten(g, 1, 'flatten');
  b.output(b.gemm(f, { out: 4, name: 'logits' }));
  b.output(b.conv(r, { outChannels: 3, kernel: 2, stride: 2, name: 'strided' }));
  // Layers to fetch are graph outputs (what tapping does for a loaded model).
  b.output(r);
  b.output(g);
  return b.build();
}
