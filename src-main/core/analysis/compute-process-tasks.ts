// The analyses' kernels that run in the compute process (compute.ts), by task name: those that load
// onnxruntime (the probe fit's float64 Gemm, runtime/gemm.ts). A fault or runaway allocation in
// native code then ends that process, never the server's or Electron's main process (README,
// "Security"). Only compute-process.ts imports this file (eslint.config.js, layering.test.ts).
import type { TaskMap } from '../jobs/compute-pool.ts';
import { fitProbe, type ProbeFit, type ProbeFitInput } from './probe/fit.ts';

export const processTasks = {
  /** One layer's k-fold linear probe (DESIGN §3 "Linear probe"). */
  probeFit(input: ProbeFitInput): Promise<ProbeFit> {
    return fitProbe(input);
  },
} satisfies TaskMap;

export type ProcessTasks = typeof processTasks;
