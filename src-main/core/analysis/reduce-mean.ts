// The mean of a run of float32 values summed in the order onnxruntime's CPU ReduceMean sums them, so
// a probe feature averaged here from a fetched map (a report's shared pass, probe/scan-features.ts)
// is the very number the probe's in-graph means give (core/onnx/with-means.ts). onnxruntime reduces
// a contiguous last axis with Eigen's vectorised sum (SSE packets of 4 floats, two packets in
// flight, pairwise across the packet at the end; the elements before the first 16-byte boundary and
// after the last whole packet are added one by one), then divides by the count. Checked bit for bit
// against the CPU provider on the test models (reduce-mean.test.ts); another build or provider may
// differ in the last bits, which the probe's fit does not notice.

const f = Math.fround;
const PACKET = 4;

/**
 * Mean of `data[start … start + length)`, in float32. `start` counts from the beginning of the
 * tensor's buffer, which onnxruntime aligns: it decides where the aligned packets begin.
 */
export function reduceMean(data: Float32Array, start: number, length: number): number {
  if (length <= 0) return NaN;
  const lead = Math.min((PACKET - (start % PACKET)) % PACKET, length);
  const body = length - lead;
  const size2 = Math.floor(body / (2 * PACKET)) * 2 * PACKET;
  const size1 = Math.floor(body / PACKET) * PACKET;
  const end = start + length;
  let sum: number;
  if (size1 === 0) {
    sum = data[start];
    for (let i = start + 1; i < end; i++) sum = f(sum + data[i]);
    return f(sum / length);
  }
  const a = start + lead;
  let a0 = data[a];
  let a1 = data[a + 1];
  let a2 = data[a + 2];
  let a3 = data[a + 3];
  if (size1 > PACKET) {
    let b0 = data[a + 4];
    let b1 = data[a + 5];
    let b2 = data[a + 6];
    let b3 = data[a + 7];
    const end2 = a + size2;
    for (let i = a + 2 * PACKET; i < end2; i += 2 * PACKET) {
      a0 = f(a0 + data[i]);
      a1 = f(a1 + data[i + 1]);
      a2 = f(a2 + data[i + 2]);
      a3 = f(a3 + data[i + 3]);
      b0 = f(b0 + data[i + 4]);
      b1 = f(b1 + data[i + 5]);
      b2 = f(b2 + data[i + 6]);
      b3 = f(b3 + data[i + 7]);
    }
    a0 = f(a0 + b0);
    a1 = f(a1 + b1);
    a2 = f(a2 + b2);
    a3 = f(a3 + b3);
    if (size1 > size2) {
      a0 = f(a0 + data[end2]);
      a1 = f(a1 + data[end2 + 1]);
      a2 = f(a2 + data[end2 + 2]);
      a3 = f(a3 + data[end2 + 3]);
    }
  }
  sum = f(f(a0 + a2) + f(a1 + a3));
  for (let i = start; i < a; i++) sum = f(sum + data[i]);
  for (let i = a + size1; i < end; i++) sum = f(sum + data[i]);
  return f(sum / length);
}

/** Reference twin: the same mean summed in float64 (agrees with `reduceMean` to float32 rounding). */
export function reduceMeanNaive(data: Float32Array, start: number, length: number): number {
  let sum = 0;
  for (let i = start; i < start + length; i++) sum += data[i];
  return sum / length;
}

/** The means of `rows` consecutive runs of `length` values from `start` (one image's C maps of H·W: its per-channel spatial means). */
export function rowMeans(data: Float32Array, start: number, rows: number, length: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) out[r] = reduceMean(data, start + r * length, length);
  return out;
}
