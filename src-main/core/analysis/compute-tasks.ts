// The analyses' kernels that run in compute workers (compute.ts), by task name. Each is the very
// function a direct call would run, so results are the same bit for bit. A new analysis adds its
// kernel here and calls analysisPool().run('<name>', args) where it used to call the kernel. These run
// in threads of the app's own process: nothing here may load native code (onnxruntime); such tasks
// go to the compute process (compute-process-tasks.ts).
import type { TaskMap } from '../jobs/compute-pool.ts';
import type { OutputTensor } from '../runtime/protocol.ts';
import { reduceMaps, type LayerMaxima } from './reduce-maps.ts';
import { computeSpectra, type ConvFilters, type Firing, type LayerSpectra } from './spectra/spectra.ts';

export const analysisTasks = {
  /** Per-map maxima of each layer tensor of a batch of n images (scanMapMaxima), keyed like `tensors`; per-map means too of the layers in `means`. */
  reduceMaps({ tensors, n, means }: { tensors: Record<string, OutputTensor>; n: number; means?: string[] }): Record<string, LayerMaxima> {
    const out: Record<string, LayerMaxima> = {};
    for (const [layer, t] of Object.entries(tensors)) out[layer] = reduceMaps(t, n, layer, means?.includes(layer) ?? false);
    return out;
  },

  /** A conv layer's filter spectra (spectraReport). */
  spectra({ conv, firing }: { conv: ConvFilters; firing?: Firing }): LayerSpectra {
    return computeSpectra(conv, firing);
  },
} satisfies TaskMap;

export type AnalysisTasks = typeof analysisTasks;
