// onnxruntime's own words reach the user as plain sentences, without its C++ source location
// (the CLI's view of it, opset errors and silenced log lines: src-main/cli/ort-messages.test.ts).
import { describe, expect, it } from 'vitest';
import { explainOrtError, ortVersion } from './ort-errors.ts';

describe("onnxruntime's messages", () => {
  it('drop the C++ source location and signature', () => {
    const raw =
      '/onnxruntime_src/onnxruntime/core/graph/graph.cc:1234 void onnxruntime::Graph::Foo(const std::map<int, std::pair<int, int>>&) const Node (x) has no input';
    expect(explainOrtError(raw, 'm.onnx')).toBe('Node (x) has no input');
    expect(explainOrtError('[ONNXRuntimeError] : 2 : INVALID_ARGUMENT : bad feed', 'm.onnx')).toBe('bad feed');
  });

  it('say which opset a model uses and which this onnxruntime supports', () => {
    const raw =
      '/onnxruntime_src/onnxruntime/core/graph/model_load_utils.h:46 void onnxruntime::model_load_utils::ValidateOpsetForDomain(const std::unordered_map<std::string, int>&, const onnxruntime::logging::Logger&, bool, const std::string&, int) ONNX Runtime only *guarantees* support for models stamped with official released onnx opset versions. Opset 99 is under development and support for this is limited. Current official support for domain ai.onnx is till opset 26.';
    expect(explainOrtError(raw, 'm.onnx')).toBe(
      `m.onnx uses opset 99 of ai.onnx, newer than onnxruntime ${ortVersion()} supports (up to opset 26); export it again with a lower opset (e.g. torch.onnx.export(..., opset_version=17))`,
    );
  });
});
