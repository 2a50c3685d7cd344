// core/deconv: deconvnet projections (DESIGN §3) — plan the reverse path, run it with the kernels.
export {
  DeconvEngine,
  toDisplay,
  type ActivationTensor,
  type Activations,
  type EngineOptions,
  type Projection,
  type ProjectionRequest,
} from './engine.ts';
export { planProjection, type PlanWindow, type ReversePlan, type ReverseStep, type ShapeSource } from './plan.ts';
export { UnsupportedOpError } from './errors.ts';
export { fastKernels, referenceKernels, type Box, type Dims3, type Kernels, type WindowGeometry } from './kernels/index.ts';
export * from './compiled/index.ts';
