// onnxruntime's messages in plain words: its C++ source location and function signature removed,
// and the common causes (an opset newer than this onnxruntime) said with what to do about them.
import * as ort from 'onnxruntime-node';

/** The signature ORT prefixes: "/path/file.h:46 void ns::fn(args…) const " before the real message. */
function dropSourceLocation(message: string): string {
  const m = /^\s*(?:\/|[A-Za-z]:\\)?\S*\.(?:h|hpp|cc|cpp|cu):\d+ /.exec(message);
  if (!m) return message;
  const open = message.indexOf('(', m[0].length);
  if (open < 0) return message.slice(m[0].length);
  let depth = 0;
  for (let i = open; i < message.length; i++) {
    if (message[i] === '(') depth++;
    else if (message[i] === ')' && --depth === 0) return message.slice(i + 1).replace(/^\s*(?:const\s*)?/, '');
  }
  return message.slice(m[0].length);
}

export function ortVersion(): string {
  return ort.env.versions?.common ?? 'unknown';
}

/** A readable message for a failed session creation or run; `name` is the model's file name. */
export function explainOrtError(message: string, name: string): string {
  const text = dropSourceLocation(String(message)).replace(/\s+/g, ' ').trim();
  const opset = /Opset (\d+) is under development.*?support for domain ([\w.]+) is till opset (\d+)/.exec(text);
  if (opset) {
    return `${name} uses opset ${opset[1]} of ${opset[2]}, newer than onnxruntime ${ortVersion()} supports (up to opset ${opset[3]}); ` +
      `export it again with a lower opset (e.g. torch.onnx.export(..., opset_version=${Math.min(Number(opset[3]), 17)}))`;
  }
  const tooOld = /Unsupported model IR version: (\d+), max supported IR version: (\d+)/.exec(text);
  if (tooOld) return `${name} has ONNX IR version ${tooOld[1]}; onnxruntime ${ortVersion()} reads up to ${tooOld[2]}; export it again with an older exporter`;
  return text.replace(/^\[ONNXRuntimeError\] : \d+ : \w+ : /, '');
}
