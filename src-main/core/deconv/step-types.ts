// What one step of the reverse path is (plan.ts makes them from forward nodes with steps.ts;
// reverse.ts and the compiled path run them). Types only, so the planner and the step rules share
// them without importing each other.

/** A forward window op's attributes as the file states them; padding is resolved once shapes are known. */
export interface PlanWindow {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** ONNX order [top, left, bottom, right]. */
  pads: [number, number, number, number];
  autoPad: string;
  ceilMode: boolean;
}

interface StepBase {
  /** The forward node (for a folded PyTorch LRN: its Div). */
  node: string;
  op: string;
  /** The forward output the reverse signal is read from. */
  from: string;
  /** The forward inputs that receive it, in input order (a tensor fed twice appears twice). */
  to: string[];
}

export type ReverseStep = StepBase &
  (
    | { kind: 'convTranspose'; weights: Float32Array; weightDims: [number, number, number, number]; group: number; window: PlanWindow }
    | { kind: 'maxUnpool'; switches: string; window: PlanWindow }
    | { kind: 'relu' }
    | { kind: 'identity' }
    | { kind: 'reshape' }
    /** Transpose; `perm` per sample (the batch axis stays first). Reverses as the inverse permutation. */
    | { kind: 'transposeBackward'; perm: number[] }
    | { kind: 'batchNormalizationScale'; scale: Float32Array }
    /** A squeeze-excitation gate Mul(x, g): the signal to x times g's forward value per channel; `gate` is g, N×C×1×1. */
    | { kind: 'gateScale'; gate: string }
    | { kind: 'averagePoolBackward'; window: PlanWindow; countIncludePad: boolean }
    | { kind: 'globalAveragePoolBackward' }
    | { kind: 'gemmTranspose'; weights: Float32Array; weightDims: [number, number]; transB: boolean; alpha: number }
    | { kind: 'addBackward' }
    | { kind: 'concatSplit'; axis: number; parts: { tensor: string; onPath: boolean }[] }
    /** Constant-mode Pad; `begin`/`end` per axis after the batch (negative values crop). */
    | { kind: 'padBackward'; begin: number[]; end: number[] }
  );

