// Decoded pixels → the model's input tensor, as the sidecar says (DESIGN §2):
// channel order, resize, then ((pixel/scale) − mean[c]) / std[c], laid out C×H×W.
import type { Preprocessing } from '../../common/types.ts';
import type { DecodedImage } from './decode.ts';
import { resampleRegion } from './resize.ts';

/** ImageNet statistics, the convention of torchvision's pretrained models (DESIGN §2). */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406];
export const IMAGENET_STD = [0.229, 0.224, 0.225];

/**
 * Preprocessing written into a new sidecar.
 * - 3 channels: DESIGN §2 — ImageNet mean/std, scale 255, RGB, shorter side + centre crop
 *   (torchvision's Resize + CenterCrop evaluation transform).
 * - 1 channel: mean [0.5], std [0.5], mapping [0, 1] to [−1, 1] — `Normalize((0.5,), (0.5,))`
 *   of PyTorch's Fashion-MNIST tutorials, a better first guess for a gray model than ImageNet's
 *   colour statistics or MNIST's (0.1307, 0.3081). Resize 'stretch': gray models are mostly
 *   MNIST-like, where the object fills the frame and a crop would cut strokes off; for square
 *   images the two modes agree anyway.
 * Either way the sidecar is the place to correct it; these are guesses, not knowledge.
 */
export function defaultPreprocessing(channels: 1 | 3, inputSize: [number, number], layout: InputLayout = 'NCHW'): Preprocessing {
  const size: [number, number] = [inputSize[0], inputSize[1]];
  const p: Preprocessing = channels === 3
    ? { inputSize: size, channels: 'RGB', scale: 255, mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD], resize: 'shorter-side+center-crop' }
    : { inputSize: size, channels: 'gray', scale: 255, mean: [0.5], std: [0.5], resize: 'stretch' };
  // Said only where it is not the default, so channels-first sidecars read as they always did.
  if (layout === 'NHWC') p.layout = layout;
  return p;
}

/** A model's input layout as Preprocessing states it (DESIGN §3; onnx/layout.ts). */
export type InputLayout = NonNullable<Preprocessing['layout']>;

/** Tensor channels of a preprocessing: what to ask `decodeImage` for. */
export function channelCount(p: Pick<Preprocessing, 'channels'>): 1 | 3 {
  return p.channels === 'gray' ? 1 : 3;
}

/**
 * Where the model input sits in the source image: the source is resized to scaledH × scaledW and
 * the input is the window starting at (top, left). Input pixel (y, x) therefore has its centre at
 * source coordinate ((y + top + 0.5)·height/scaledH − 0.5, …) — what receptive-field patches need
 * to be cut from the original image.
 */
export interface FitGeometry {
  scaledH: number;
  scaledW: number;
  top: number;
  left: number;
}

/**
 * 'stretch': to inputSize exactly. 'shorter-side+center-crop': the smallest aspect-keeping scale
 * that covers the input (for a square input, the shorter side becomes the input's side), the other
 * side ⌊target·long/short⌋ as torchvision's Resize(int) computes it, then a crop at
 * ⌊(scaled − target)/2⌋. torchvision's CenterCrop rounds that half instead (Python's round, to
 * even), so the two differ by one pixel when scaled − target ≡ 3 (mod 4).
 */
export function fitGeometry(height: number, width: number, inputSize: [number, number], mode: Preprocessing['resize']): FitGeometry {
  const [H, W] = inputSize;
  if (mode === 'stretch') return { scaledH: H, scaledW: W, top: 0, left: 0 };
  let scaledH: number;
  let scaledW: number;
  if (H * width >= W * height) {
    // Matching heights leaves the width at least W.
    scaledH = H;
    scaledW = Math.max(W, Math.floor((H * width) / height));
  } else {
    scaledW = W;
    scaledH = Math.max(H, Math.floor((W * height) / width));
  }
  return { scaledH, scaledW, top: Math.floor((scaledH - H) / 2), left: Math.floor((scaledW - W) / 2) };
}

/** Float32 C×H×W tensor data (length C·H·W) for a 1×C×H×W model input. */
export function preprocess(img: DecodedImage, p: Preprocessing): Float32Array {
  const [H, W] = p.inputSize;
  const C = channelCount(p);
  if (!Number.isInteger(H) || !Number.isInteger(W) || H < 1 || W < 1) throw new RangeError(`preprocess: inputSize must be two positive integers, got [${p.inputSize.join(', ')}]`);
  if (p.mean.length !== C || p.std.length !== C) throw new RangeError(`preprocess: ${p.channels} needs ${C} mean and std values, got ${p.mean.length} and ${p.std.length}`);
  if (img.data.length !== img.width * img.height * img.channels) throw new RangeError(`preprocess: image data has ${img.data.length} values, expected ${img.height}×${img.width}×${img.channels}`);

  // Gray from colour only when the caller decoded in colour; decoding with channels 1 lets sharp
  // do it, with the same formula.
  let pixels: Uint8Array | Float32Array = img.data;
  let have: number = img.channels;
  if (C === 1 && have === 3) {
    pixels = luminance(img.data, img.width * img.height);
    have = 1;
  }
  // Colour from gray stays one channel through the resize and is replicated while normalising:
  // same result, a third of the work.
  const g = fitGeometry(img.height, img.width, p.inputSize, p.resize);
  const resized = resampleRegion(pixels, img.height, img.width, have, { ...g, outH: H, outW: W });

  const plane = H * W;
  const out = new Float32Array(C * plane);
  for (let k = 0; k < C; k++) {
    // mean/std are in the tensor's channel order (for BGR: mean[0] is blue's).
    const from = have === 1 ? 0 : p.channels === 'BGR' ? 2 - k : k;
    const m = p.mean[k];
    const s = p.std[k];
    const base = k * plane;
    for (let i = 0; i < plane; i++) out[base + i] = (resized[i * have + from] / p.scale - m) / s;
  }
  return out;
}

// sRGB (0..255) → linear light, for the 256 possible 8-bit values.
const SRGB_TO_LINEAR = (() => {
  const t = new Float64Array(256);
  for (let v = 0; v < 256; v++) {
    const u = v / 255;
    t[v] = u <= 0.04045 ? u / 12.92 : ((u + 0.055) / 1.055) ** 2.4;
  }
  return t;
})();

/**
 * Gray from 8-bit sRGB with sharp's `greyscale()` formula (libvips sRGB → B_W): Rec. 709
 * luminance in linear light, re-encoded with the sRGB curve, on the 0..255 scale and left unrounded.
 * Using the decoder's formula means a model sees the same gray whether sharp or this converted.
 */
export function luminance(rgb: Uint8Array, pixels: number): Float32Array {
  const out = new Float32Array(pixels);
  for (let i = 0; i < pixels; i++) {
    const y = 0.2126 * SRGB_TO_LINEAR[rgb[3 * i]] + 0.7152 * SRGB_TO_LINEAR[rgb[3 * i + 1]] + 0.0722 * SRGB_TO_LINEAR[rgb[3 * i + 2]];
    out[i] = 255 * (y <= 0.0031308 ? 12.92 * y : 1.055 * y ** (1 / 2.4) - 0.055);
  }
  return out;
}
