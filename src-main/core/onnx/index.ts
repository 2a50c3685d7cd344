// core/onnx: parse and rewrite ONNX models, find their layers, receptive fields and switches.
export { ModelError, type ModelErrorCode, type ParseOptions, parseModel, loadModelFile, serializeModel, channelsFirstBytes } from './model.ts';
export { channelsFirst, inputLayout, type InputLayout } from './layout.ts';
export { analyzeGraph, type GraphSummary, type ImageInput, type LayerDesc } from './graph.ts';
export { describeRule, type ReverseRule } from './activations.ts';
export { type NodeDesc, type AttrValue } from './nodes.ts';
export { detachFromFile, WeightsOnDisk, type ReadFile } from './weights-on-disk.ts';
export { referencingFile, EXTERNAL_FOLDER_OPTION, type ModelByReference } from './weights-by-reference.ts';
export { findSwitches, tapModel, serveTapped, switchesModel, withOutputs, defaultOpset, type TappedModel, type ServingTaps, type Switches } from './tap.ts';
export { withDistances, distanceOutputs } from './with-distances.ts';
export { withMeans, meanOutputs } from './with-means.ts';
export { inferElementTypes, nodeOutputTypes, declaredElementType, NOT_A_TENSOR } from './element-types.ts';
export {
  tensorToFloat32,
  tensorToBigInt64,
  tensorToNumbers,
  tensorDims,
  elementCount,
  float32Tensor,
  int64Tensor,
  rawTensor,
  halfToFloat,
  TensorDataError,
} from './tensor.ts';
export { windowOutput } from './receptive-field.ts';
export {
  GraphBuilder,
  FloatAttr,
  floatAttr,
  type AttrInput,
  type AutoPad,
  type BuilderOptions,
  type ConvOptions,
  type DenseOptions,
  type PoolOptions,
} from './builder.ts';
export { seededRandom } from './seeded-random.ts';
export { zfTestModel, zfFullWidthModel, mixedTypesTestModel, type ZfTestModelOptions } from './test-models.ts';
export { nhwcTestModels, type NhwcTestModelOptions } from './nhwc-test-model.ts';
