// The compiled reverse path (the GPU path of issue 4): ONNX bytes for core/runtime to run under the model's provider.
export {
  COMPILED_OPSET,
  PROJECTION_OUTPUT,
  SIGNAL_INPUT,
  compileReversePath,
  type CompileOptions,
  type CompiledInput,
  type CompiledReversePath,
  type ForwardShapes,
} from './compile.ts';
export { compiledFeeds, type CompiledFeeds, type FeedTensor } from './feeds.ts';
