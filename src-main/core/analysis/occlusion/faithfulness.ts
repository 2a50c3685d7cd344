// The paper's validation of its projections (Fig. 7 b–c): occluding the pixels a unit's projection
// highlights should drop that unit's activation more than occluding a random region of the same
// area. "Highlights" = the top-mass pixels of Σ_c |projection|, as many as one occluder covers;
// "random" = squares of the occluder's side at seeded positions inside the unit's receptive field
// (outside it the activation cannot change, which would make the comparison trivially favourable).
import { AppError } from '../../../common/errors.ts';
import { mapDims, noMapsMessage } from '../../../common/layers.ts';
import type { PixelBox } from '../../../common/api.ts';
import { seededRandom } from '../../onnx/seeded-random.ts';
import type { BatchForward } from '../map-maxima.ts';

/** The `area` pixels with the largest Σ_c |v| (ties: lower index first), as an H×W 0/1 mask. */
export function topMassMask(projection: Float32Array, dims: readonly [number, number, number], area: number): Uint8Array {
  const [C, H, W] = dims;
  const plane = H * W;
  const mass = new Float64Array(plane);
  for (let c = 0; c < C; c++) for (let i = 0; i < plane; i++) mass[i] += Math.abs(projection[c * plane + i]);
  const order = Array.from({ length: plane }, (_, i) => i).sort((a, b) => mass[b] - mass[a] || a - b);
  const mask = new Uint8Array(plane);
  for (let i = 0; i < Math.min(area, plane); i++) mask[order[i]] = 1;
  return mask;
}

/** Top-left corners of `trials` s×s squares inside `box` (or overlapping it when it is smaller), within H×W. */
export function randomSquares(box: PixelBox, s: number, H: number, W: number, trials: number, seed: number): [number, number][] {
  const rnd = seededRandom(seed);
  const axis = (lo: number, hi: number, size: number) => {
    const a = Math.max(0, Math.min(lo, size - s));
    const b = Math.max(a, Math.min(hi - s, size - s));
    return a + Math.floor(rnd() * (b - a + 1));
  };
  return Array.from({ length: trials }, () => [axis(box.y0, box.y1, H), axis(box.x0, box.x1, W)] as [number, number]);
}

export interface FaithfulnessInput {
  image: Float32Array;
  dims: [number, number, number];
  projection: Float32Array;
  forward: BatchForward;
  tensor: string;
  channel: number;
  position: [number, number];
  box: PixelBox;
  size: number;
  trials: number;
  seed: number;
}

export interface Faithfulness {
  value: number;
  projected: number;
  random: number[];
  mask: Uint8Array;
  area: number;
}

export async function faithfulness(f: FaithfulnessInput): Promise<Faithfulness> {
  const [C, H, W] = f.dims;
  const plane = H * W;
  const area = f.size * f.size;
  if (area < 1) throw new AppError('INVALID_ARGUMENT', 'the occluder size must be at least 1');
  const mask = topMassMask(f.projection, f.dims, area);
  const squares = randomSquares(f.box, f.size, H, W, f.trials, f.seed);
  const n = 2 + squares.length;
  const batch = new Float32Array(n * f.image.length);
  for (let j = 0; j < n; j++) batch.set(f.image, j * f.image.length);
  const masked = batch.subarray(f.image.length, 2 * f.image.length);
  for (let c = 0; c < C; c++) for (let i = 0; i < plane; i++) if (mask[i]) masked[c * plane + i] = 0;
  squares.forEach(([y0, x0], t) => {
    const img = batch.subarray((2 + t) * f.image.length, (3 + t) * f.image.length);
    for (let c = 0; c < C; c++) for (let y = y0; y < y0 + f.size; y++) img.fill(0, c * plane + y * W + x0, c * plane + y * W + x0 + f.size);
  });
  const out = (await f.forward(batch, n, [f.tensor]))[f.tensor];
  if (!out) throw new AppError('NOT_FOUND', `the model did not return layer "${f.tensor}"`, { layer: f.tensor });
  const per = out.data.length / n;
  const dims = mapDims(out.dims);
  if (!dims) throw new AppError('MODEL_UNSUPPORTED', noMapsMessage(f.tensor, out.dims), { layer: f.tensor });
  const [mc, mh, mw] = dims;
  const [py, px] = f.position;
  if (f.channel >= mc || py >= mh || px >= mw) throw new AppError('INVALID_ARGUMENT', `position (${py}, ${px}) of map ${f.channel} is outside the ${mc}×${mh}×${mw} layer`);
  const at = (j: number) => (out.data as Float32Array)[j * per + f.channel * mh * mw + py * mw + px];
  return { value: at(0), projected: at(1), random: squares.map((_, t) => at(2 + t)), mask, area };
}
