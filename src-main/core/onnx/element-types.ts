// Element types of a graph's values, as ONNX type inference works them out (the subset tapping
// needs): onnxruntime rejects a graph output declared with a type other than the one it infers
// ("Type Error"), so a tapped int64 Cast declared float made a model it runs fine fail to open.
// Sources: graph inputs, initializers, value_info and graph outputs (what the file records), then per
// op: Cast → `to`, Shape/Size/ArgMax/NonZero/… → int64, comparisons → bool, Constant → its value,
// and most ops → their first input's type. Where the rules cannot tell (an op of another domain, an
// input of unknown type) the value is left out: tapping then declares no type, which onnxruntime
// accepts and infers itself.
import type { AttributeProto, GraphProto, NodeProto, ValueInfoProto } from 'onnx-buf';
import { TensorProto_DataType as T } from 'onnx-buf';

/** A value that is a sequence, map or optional: not a tensor, so it cannot be tapped as one. */
export const NOT_A_TENSOR = -1;

/** The element type a ValueInfo records (NOT_A_TENSOR for non-tensor types), or undefined when it records none. */
export function declaredElementType(v: ValueInfoProto | undefined): number | undefined {
  const t = v?.type?.value;
  if (!t?.case) return undefined;
  if (t.case === 'tensorType' || t.case === 'sparseTensorType') return t.value.elemType || undefined;
  return NOT_A_TENSOR;
}

const BOOL_OPS = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf', 'RegexFullMatch', 'OptionalHasElement']);
const INT64_OPS = new Set(['Shape', 'Size', 'ArgMax', 'ArgMin', 'NonZero', 'NonMaxSuppression', 'SequenceLength']);
const INT32_OPS = new Set(['ConvInteger', 'MatMulInteger']);
const STRING_OPS = new Set(['StringNormalizer', 'StringConcat']);
/** Outputs that are sequences or optionals, or tensors whose type lives inside one. */
const NON_TENSOR_OPS = new Set(['SequenceEmpty', 'SequenceConstruct', 'SequenceInsert', 'SequenceErase', 'SplitToSequence', 'SequenceMap', 'Optional']);
const OF_SEQUENCE_OPS = new Set(['SequenceAt', 'ConcatFromSequence', 'OptionalGetElement']);
/** Ops whose output type an attribute names (default in the map), else the first input's type (the *Like ops) or the default. */
const DTYPE_ATTR: Record<string, [attr: string, fallback: 'input' | number]> = {
  RandomNormal: ['dtype', T.FLOAT],
  RandomUniform: ['dtype', T.FLOAT],
  RandomNormalLike: ['dtype', 'input'],
  RandomUniformLike: ['dtype', 'input'],
  Bernoulli: ['dtype', 'input'],
  EyeLike: ['dtype', 'input'],
  Multinomial: ['dtype', T.INT32],
  HannWindow: ['output_datatype', T.FLOAT],
  HammingWindow: ['output_datatype', T.FLOAT],
  BlackmanWindow: ['output_datatype', T.FLOAT],
  MelWeightMatrix: ['output_datatype', T.FLOAT],
};

function intAttr(n: NodeProto, name: string): number | undefined {
  const a = n.attribute.find((x) => x.name === name);
  return a ? Number(a.i) : undefined;
}

function constantType(a: AttributeProto | undefined): number | undefined {
  switch (a?.name) {
    case 'value':
      return a.t?.dataType || undefined;
    case 'sparse_value':
      return a.sparseTensor?.values?.dataType || undefined;
    case 'value_float':
    case 'value_floats':
      return T.FLOAT;
    case 'value_int':
    case 'value_ints':
      return T.INT64;
    case 'value_string':
    case 'value_strings':
      return T.STRING;
    default:
      return undefined;
  }
}

/** Output types of a control-flow node: its body's declared outputs (Loop's first body output is the condition). */
function bodyTypes(n: NodeProto, attr: string, skip: number): (number | undefined)[] {
  const body = n.attribute.find((a) => a.name === attr)?.g;
  return n.output.map((_, i) => declaredElementType(body?.output[i + skip]));
}

/**
 * The element types of one node's outputs (undefined where the rules cannot tell), given the types of
 * values known so far. Standard-domain ops only: another domain's op could be anything.
 */
export function nodeOutputTypes(n: NodeProto, typeOf: (name: string) => number | undefined, opset = Infinity): (number | undefined)[] {
  if (n.domain !== '' && n.domain !== 'ai.onnx') return n.output.map(() => undefined);
  const input = (i: number) => (n.input[i] ? typeOf(n.input[i]) : undefined);
  const all = (t: number | undefined) => n.output.map(() => t);
  const op = n.opType;
  if (BOOL_OPS.has(op)) return all(T.BOOL);
  if (INT64_OPS.has(op)) return all(T.INT64);
  if (INT32_OPS.has(op)) return all(T.INT32);
  if (STRING_OPS.has(op)) return all(T.STRING);
  if (NON_TENSOR_OPS.has(op)) return all(NOT_A_TENSOR);
  if (OF_SEQUENCE_OPS.has(op)) return all(undefined);
  const dtype = DTYPE_ATTR[op];
  if (dtype) return all(intAttr(n, dtype[0]) || (dtype[1] === 'input' ? input(0) : dtype[1]));
  switch (op) {
    case 'Cast':
      return all(intAttr(n, 'to') || undefined);
    case 'CastLike':
      return all(input(1));
    case 'Constant':
      return all(constantType(n.attribute[0]));
    case 'ConstantOfShape':
      return all(n.attribute.find((a) => a.name === 'value')?.t?.dataType || T.FLOAT);
    // Values and Indices.
    case 'MaxPool':
    case 'TopK':
      return n.output.map((_, i) => (i === 0 ? input(0) : T.INT64));
    // Unique values, then indices, inverse indices and counts.
    case 'Unique':
      return n.output.map((_, i) => (i === 0 ? input(0) : T.INT64));
    // The mask is bool from opset 10; before, it had the input's type.
    case 'Dropout':
      return n.output.map((_, i) => (i === 0 || opset < 10 ? input(0) : T.BOOL));
    // Y, then running mean and variance of the scale's type (opset 15 lets them differ from X).
    case 'BatchNormalization':
      return n.output.map((_, i) => (i === 0 ? input(0) : (input(3) ?? input(0))));
    // Y, then Mean and InvStdDev of `stash_type` (default float).
    case 'LayerNormalization':
      return n.output.map((_, i) => (i === 0 ? input(0) : intAttr(n, 'stash_type') || T.FLOAT));
    case 'RMSNormalization':
      return all(input(1));
    case 'Where':
      return all(input(1) ?? input(2));
    case 'OneHot':
      return all(input(2));
    case 'QuantizeLinear':
      return all(intAttr(n, 'output_dtype') || input(2) || T.UINT8);
    case 'DequantizeLinear':
      return all(intAttr(n, 'output_dtype') || input(1));
    case 'DynamicQuantizeLinear':
      return [T.UINT8, T.FLOAT, T.UINT8].slice(0, n.output.length);
    case 'QLinearConv':
    case 'QLinearMatMul':
      return all(input(7));
    case 'StringSplit':
      return n.output.map((_, i) => (i === 0 ? T.STRING : T.INT64));
    case 'TfIdfVectorizer':
      return all(T.FLOAT);
    case 'ImageDecoder':
      return all(T.UINT8);
    case 'If':
      return bodyTypes(n, 'then_branch', 0);
    case 'Loop':
      return bodyTypes(n, 'body', 1);
    case 'Scan':
      return bodyTypes(n, 'body', 0);
    default:
      // Elementwise maths, convolutions, pooling, normalisation, reshaping, slicing, gathering,
      // reductions (and Pow, Range, Expand, Pad, Resize, …): the first input's type.
      return all(input(0));
  }
}

/**
 * Element types of the graph's values (TensorProto_DataType, or NOT_A_TENSOR): what the file records,
 * and what the op rules infer for the rest. A value missing from the map has a type the rules cannot
 * tell.
 */
export function inferElementTypes(graph: GraphProto, opset = Infinity): Map<string, number> {
  const types = new Map<string, number>();
  for (const t of graph.initializer) if (t.dataType) types.set(t.name, t.dataType);
  for (const s of graph.sparseInitializer) if (s.values?.dataType && s.values.name) types.set(s.values.name, s.values.dataType);
  for (const v of [...graph.input, ...graph.valueInfo, ...graph.output]) {
    const t = declaredElementType(v);
    if (t !== undefined && !types.has(v.name)) types.set(v.name, t);
  }
  const typeOf = (name: string) => types.get(name);
  // Nodes are in topological order in a valid file; further passes cover files that are not.
  for (let pass = 0, changed = true; changed && pass < 8; pass++) {
    changed = false;
    for (const n of graph.node) {
      if (n.output.every((o) => !o || types.has(o))) continue;
      nodeOutputTypes(n, typeOf, opset).forEach((t, i) => {
        const o = n.output[i];
        if (o && t !== undefined && !types.has(o)) {
          types.set(o, t);
          changed = true;
        }
      });
    }
  }
  return types;
}
