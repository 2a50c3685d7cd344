// The fast kernels. Their naive twins are in reference/; kernels.test.ts runs one suite over both.
import { averagePoolBackward } from './average-pool-backward.ts';
import { convTranspose } from './conv-transpose.ts';
import { gemmTranspose } from './gemm-transpose.ts';
import { maxUnpool } from './max-unpool.ts';
import { relu } from './relu.ts';
import { batchNormalizationScale, concatSplit, globalAveragePoolBackward, padBackward, reduceToShape, sum } from './small.ts';
import { transposeBackward } from './transpose-backward.ts';
import type { Kernels } from './types.ts';

export type { Box, Dims3, Kernels, WindowGeometry } from './types.ts';
export { referenceKernels } from './reference/index.ts';

export const fastKernels: Kernels = {
  convTranspose,
  maxUnpool,
  relu,
  gemmTranspose,
  averagePoolBackward,
  globalAveragePoolBackward,
  batchNormalizationScale,
  concatSplit,
  padBackward,
  reduceToShape,
  transposeBackward,
  sum,
};
