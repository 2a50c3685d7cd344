// NumPy .npy files (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
// inputs that are already tensors (a preprocessed image, a projection) come in and go out this
// way, so the CLI and Python notebooks can exchange them without a conversion step.
import path from 'node:path';
import { LITTLE_ENDIAN_HOST, NPY_MAGIC } from '../../common/npy.ts';
import { ImageError } from './errors.ts';


export interface NpyArray {
  dims: number[];
  data: Float32Array;
}

/** Reads a C-ordered little-endian float32 array; float64 is accepted and narrowed to float32. */
export function readNpy(bytes: Uint8Array, file: string): NpyArray {
  const name = path.basename(file);
  const fail = (msg: string, details?: Record<string, unknown>): never => {
    throw new ImageError('NPY_INVALID', `${name}: ${msg}`, file, details);
  };
  if (bytes.length < 10 || NPY_MAGIC.some((b, i) => bytes[i] !== b)) fail('not a NumPy .npy file (no \\x93NUMPY magic)');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('truncated header');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    return fail(`unsupported .npy format version ${major}.${bytes[7]}`);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) fail('truncated header');
  // v1/v2 headers are latin-1, v3 UTF-8; the fields we read are ASCII either way.
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));

  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    fail(`unreadable header ${JSON.stringify(header.trim())}`);
  }
  const dims = shapeText!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
  if (dims.some((d) => !Number.isSafeInteger(d))) fail(`bad shape (${shapeText})`);
  const shape = `(${dims.join(', ')}${dims.length === 1 ? ',' : ''})`;
  if (descr !== '<f4' && descr !== '<f8') {
    fail(`dtype ${descr} with shape ${shape} is not supported; save as float32 ('<f4') or float64 ('<f8'), little-endian`, { dtype: descr, dims });
  }
  if (fortran === 'True') {
    fail(`array with shape ${shape} is in Fortran order; save a C-ordered array (np.ascontiguousarray)`, { dtype: descr, dims });
  }
  const count = dims.reduce((a, b) => a * b, 1);
  const itemSize = descr === '<f4' ? 4 : 8;
  const need = count * itemSize;
  if (bytes.length - dataStart < need) {
    fail(`truncated data: shape ${shape} ${descr} needs ${need} bytes, the file has ${bytes.length - dataStart}`, { dtype: descr, dims });
  }

  const data = new Float32Array(count);
  if (itemSize === 4 && LITTLE_ENDIAN_HOST) {
    // Copy through bytes: the data offset need not be 4-aligned in the caller's buffer.
    new Uint8Array(data.buffer).set(bytes.subarray(dataStart, dataStart + need));
  } else if (itemSize === 4) {
    for (let i = 0; i < count; i++) data[i] = view.getFloat32(dataStart + 4 * i, true);
  } else {
    for (let i = 0; i < count; i++) data[i] = view.getFloat64(dataStart + 8 * i, true);
  }
  return { dims, data };
}

/** A version 1.0 .npy of a C-ordered float32 array (version 2.0 if the header would not fit, which takes ~6,000 dims). */

export { writeNpy } from '../../common/npy.ts';
