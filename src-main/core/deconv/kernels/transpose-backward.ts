// Transpose's input gradient: the inverse permutation. tf2onnx transposes N×C×H×W back to N×H×W×C
// before a Keras Flatten, so a projection from a dense layer passes through one.

/**
 * out += dy transposed back: the forward op made dy[i₀…] = x[j] with j's axis perm[a] at iₐ. Walks
 * dy in order with a multi-index counter; each dy axis steps out by the stride of the x axis it came from.
 */
export function transposeBackward(dy: Float32Array, dyDims: number[], perm: number[], out: Float32Array): void {
  const rank = dyDims.length;
  const xDims = new Array<number>(rank);
  for (let a = 0; a < rank; a++) xDims[perm[a]] = dyDims[a];
  const xStrides = new Array<number>(rank);
  for (let a = rank - 1, s = 1; a >= 0; a--) {
    xStrides[a] = s;
    s *= xDims[a];
  }
  const steps = perm.map((p) => xStrides[p]);
  const index = new Array<number>(rank).fill(0);
  let o = 0;
  for (let i = 0; i < dy.length; i++) {
    out[o] += dy[i];
    for (let a = rank - 1; a >= 0; a--) {
      o += steps[a];
      if (++index[a] < dyDims[a]) break;
      o -= steps[a] * dyDims[a];
      index[a] = 0;
    }
  }
}
