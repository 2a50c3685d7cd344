// Invariance analysis (issue 6): sweeps of Fig. 5 and shift consistency.
export {
  sweepImage, sweepPipeline, sweepSteps, sweepBatchSize, layerDistances, transformInput, folderClass,
  type SweepSpec, type SweepInput, type ImageSweep, type SweepForward, type SweepBatchOutput,
} from './sweep.ts';
export { sweepImages, type SweepItem, type SweepRunSpec } from './run.ts';
export { shiftConsistency, shiftInput, pairOffsets, type ConsistencySpec, type ConsistencyCounts } from './shift-consistency.ts';
export { euclidean, l2norm, normalizedDistance } from './distances.ts';
export { sweepForward } from './layer-taps.ts';
