// Sweeps run many inputs through a few layers, on a copy of the model tapped at just those (see
// core/model/model-variants.ts). The copy also computes the feature distances itself
// (core/onnx/with-distances.ts): per layer L, with F = Flatten(L), ‖F[r] − F[0]‖² and ‖F[0]‖², so each
// batch returns a few numbers per row instead of whole layers (zf-mini's first layer alone is 32K values
// per row), and the sum runs vectorised in onnxruntime rather than in JavaScript. Sums are in float32 there.
import { distanceOutputs } from '../../onnx/index.ts';
import type { ModelSession } from '../../model/model-session.ts';
import { layerDistances, type SweepForward } from './sweep.ts';

/**
 * A sweep forward pass whose model computes each row's feature distances to row 0. Falls back to
 * fetching the layers (`layerDistances`) where the graph cannot be extended (opset below 10).
 */
export async function sweepForward(model: ModelSession, layers: string[]): Promise<SweepForward> {
  const output = model.info.outputs[0].name;
  if (model.info.opset < 10) return layerDistances(await model.forwardAt(layers), layers, output);
  const names = distanceOutputs(layers);
  const forward = await model.variantForward({ kind: 'distances', layers });
  const fetches = [output, ...names.flatMap((x) => [x.d2, x.n2])];
  return async (batch, n) => {
    const out = await forward(batch, n, fetches);
    const distance: Record<string, Float64Array> = {};
    const norm: Record<string, number> = {};
    layers.forEach((l, i) => {
      const d2 = out[names[i].d2].data as Float32Array;
      // A row equal to row 0 gives exactly 0; rounding cannot make a sum of squares negative.
      distance[l] = Float64Array.from(d2, (v) => Math.sqrt(Math.max(0, v)));
      norm[l] = Math.sqrt((out[names[i].n2].data as Float32Array)[0]);
    });
    const scores = out[output];
    return { scores: scores.data as Float32Array, classes: scores.dims.slice(1).reduce((a, b) => a * b, 1), distance, norm };
  };
}
