// core/deconv: deconvnet projections (DESIGN §3) — plan the reverse path, run it with the kernels.
export { DeconvEngine, toDisplay, type EngineOptions } from './engine.ts';
export {
  checkRequest, layerMapsOf, requestProblem, writeStartSignal, type ActivationTensor, type Activations, type LayerMaps, type Projection,
  type ProjectionRequest, type RequestProblem, type StartSignal,
} from './request.ts';
export { planProjection, type PlanWindow, type ReversePlan, type ReverseStep, type ShapeSource } from './plan.ts';
export { UnsupportedOpError } from './errors.ts';
export { fastKernels, referenceKernels, type Box, type Dims3, type Kernels, type WindowGeometry } from './kernels/index.ts';
export * from './compiled/index.ts';
