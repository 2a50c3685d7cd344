// What a command feeds the model: an image preprocessed per the sidecar, or a user's own tensor.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../common/errors.ts';
import { decodeImage, preprocess, readNpy } from '../core/images/index.ts';
import type { ModelSession } from '../core/model/model-session.ts';
import { UsageError } from './args.ts';

export interface ModelInput {
  tensor: Float32Array;
  source: { image: string } | { tensor: string };
}

export async function readModelInput(model: ModelSession, image: string | undefined, tensor: string | undefined): Promise<ModelInput> {
  if ((image === undefined) === (tensor === undefined)) throw new UsageError('give exactly one of --image or --tensor');
  const { channels, height, width } = model.info.input;
  if (image !== undefined) {
    const img = await decodeImage(path.resolve(image), { channels });
    return { tensor: preprocess(img, model.info.preprocessing), source: { image: path.resolve(image) } };
  }
  const file = path.resolve(tensor!);
  const bytes = await readFile(file).catch((e: Error) => {
    throw new AppError('NPY_INVALID', `${file}: ${e.message}`, { file });
  });
  const npy = readNpy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
  const dims = npy.dims.length === 4 && npy.dims[0] === 1 ? npy.dims.slice(1) : npy.dims;
  // A tensor is given in the model's own layout; its session takes C×H×W (core/onnx/layout.ts).
  const nhwc = model.info.input.layout === 'NHWC';
  const want = nhwc ? [height, width, channels] : [channels, height, width];
  if (dims.length !== 3 || dims.some((d, i) => d !== want[i])) {
    const layout = nhwc ? ', the model\'s own layout N×H×W×C' : '';
    throw new AppError('INPUT_MISMATCH', `${path.basename(file)} has shape [${npy.dims.join(', ')}] but ${model.info.name} takes 1×${want.join('×')} (or ${want.join('×')}${layout})`, { file });
  }
  return { tensor: nhwc ? channelsFirst(npy.data, height * width, channels) : npy.data, source: { tensor: file } };
}

/** H×W×C values as C×H×W. */
function channelsFirst(hwc: Float32Array, pixels: number, channels: number): Float32Array {
  const chw = new Float32Array(hwc.length);
  for (let p = 0; p < pixels; p++) for (let c = 0; c < channels; c++) chw[c * pixels + p] = hwc[p * channels + c];
  return chw;
}
