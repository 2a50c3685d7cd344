import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageError } from './errors.ts';
import { readNpy, writeNpy } from './npy.ts';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
const ARANGE = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5].map((v) => v / 4);

const PYTHON = '/usr/bin/python3';
const havePython = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
const NO_PYTHON = `${PYTHON} with numpy not found; the committed NumPy fixtures still cover reading`;

/** Runs a Python snippet with numpy as np and `d` = the temp folder; returns stdout. */
function python(code: string, dir: string): string {
  const r = spawnSync(PYTHON, ['-c', `import numpy as np, json, os\nd = ${JSON.stringify(dir)}\n${code}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return r.stdout;
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'convscope-npy-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('readNpy on committed files written by NumPy', () => {
  it('float32, format 1.0', () => {
    const a = readNpy(fixture('arange-2x3-f4.npy'), 'arange-2x3-f4.npy');
    expect(a.dims).toEqual([2, 3]);
    expect(Array.from(a.data)).toEqual(ARANGE);
  });

  it('float64, format 3.0, narrowed to float32', () => {
    const a = readNpy(fixture('arange-2x3-f8-v3.npy'), 'x.npy');
    expect(a.dims).toEqual([2, 3]);
    expect(a.data).toBeInstanceOf(Float32Array);
    expect(Array.from(a.data)).toEqual(ARANGE);
  });

  it('NPY_INVALID for Fortran order and for other dtypes, naming the file, dtype and shape', () => {
    const err = (() => {
      try {
        readNpy(fixture('arange-2x3-fortran.npy'), '/data/w.npy');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ImageError);
    expect(err).toMatchObject({ code: 'NPY_INVALID', file: '/data/w.npy', message: 'w.npy: array with shape (2, 3) is in Fortran order; save a C-ordered array (np.ascontiguousarray)' });
    expect(() => readNpy(fixture('int32-3.npy'), 'ids.npy')).toThrow("ids.npy: dtype <i4 with shape (3,) is not supported; save as float32 ('<f4') or float64 ('<f8'), little-endian");
  });

  it('reads from a buffer at an odd offset', () => {
    const bytes = fixture('arange-2x3-f4.npy');
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(Array.from(readNpy(shifted.subarray(1), 'x.npy').data)).toEqual(ARANGE);
  });
});

describe('readNpy errors', () => {
  const good = () => fixture('arange-2x3-f4.npy');

  it('not an .npy file', () => {
    expect(() => readNpy(new TextEncoder().encode('PK\u0003\u0004 this is a zip'), 'a.npz')).toThrow(/^a\.npz: not a NumPy \.npy file/);
    expect(() => readNpy(new Uint8Array(3), 'tiny.npy')).toThrow(/not a NumPy/);
  });

  it('truncated data names what was expected', () => {
    const b = good();
    expect(() => readNpy(b.subarray(0, b.length - 4), 'cut.npy')).toThrow('cut.npy: truncated data: shape (2, 3) <f4 needs 24 bytes, the file has 20');
  });

  it('unknown version and big-endian data', () => {
    const v9 = good();
    v9[6] = 9;
    expect(() => readNpy(v9, 'v.npy')).toThrow('v.npy: unsupported .npy format version 9.0');
    const be = good();
    be.set(new TextEncoder().encode('>f4'), be.indexOf(0x3c /* < */));
    expect(() => readNpy(be, 'be.npy')).toThrow(/be\.npy: dtype >f4 with shape \(2, 3\) is not supported/);
  });
});

describe('writeNpy', () => {
  it('round-trips through readNpy, any rank, with a 64-byte aligned header', () => {
    for (const dims of [[1, 3, 5, 7], [4], [], [0, 3], [2, 1, 1]]) {
      const n = dims.reduce((a, b) => a * b, 1);
      const data = Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i) * 1e3));
      const bytes = writeNpy(dims, data);
      expect((bytes.length - n * 4) % 64).toBe(0);
      const back = readNpy(bytes, 'rt.npy');
      expect(back.dims).toEqual(dims);
      expect(Array.from(back.data)).toEqual(Array.from(data));
    }
  });

  it('refuses dims that do not match the data', () => {
    expect(() => writeNpy([2, 3], new Float32Array(5))).toThrow(/hold 6 values, data has 5/);
    expect(() => writeNpy([-1], new Float32Array(0))).toThrow(/non-negative integers/);
  });
});

describe('interop with NumPy at test time', () => {
  it('reads what numpy writes: 4-D float32, format 2.0, scalar, float64, special values', (ctx) => {
    if (!havePython) ctx.skip(NO_PYTHON);
    python(
      [
        "np.save(os.path.join(d, 'x4.npy'), np.arange(105, dtype=np.float32).reshape(1, 3, 5, 7) / 7)",
        "f = open(os.path.join(d, 'v2.npy'), 'wb'); np.lib.format.write_array(f, np.ones((2, 2), np.float32) * 3, version=(2, 0)); f.close()",
        "np.save(os.path.join(d, 'scalar.npy'), np.float32(4.5))",
        "np.save(os.path.join(d, 'f8.npy'), np.array([0.1, 1e-40, -2.0, np.inf, np.nan]))",
      ].join('\n'),
      tmp,
    );
    const read = (f: string) => readNpy(readFileSync(path.join(tmp, f)), f);
    const x4 = read('x4.npy');
    expect(x4.dims).toEqual([1, 3, 5, 7]);
    expect(Array.from(x4.data)).toEqual(Array.from({ length: 105 }, (_, i) => Math.fround(Math.fround(i) / 7)));
    expect(read('v2.npy')).toEqual({ dims: [2, 2], data: new Float32Array([3, 3, 3, 3]) });
    expect(read('scalar.npy')).toEqual({ dims: [], data: new Float32Array([4.5]) });
    const f8 = read('f8.npy');
    expect(Array.from(f8.data)).toEqual([Math.fround(0.1), Math.fround(1e-40), -2, Infinity, NaN]); // 1e-40 stays a float32 subnormal
  });

  it('numpy reads what writeNpy writes', async (ctx) => {
    if (!havePython) ctx.skip(NO_PYTHON);
    const data = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => Math.fround((i - 7) / 3));
    await writeFile(path.join(tmp, 'ours.npy'), writeNpy([2, 3, 4], data));
    await writeFile(path.join(tmp, 'ours-1d.npy'), writeNpy([3], Float32Array.from([1, 2, 3])));
    await writeFile(path.join(tmp, 'ours-0d.npy'), writeNpy([], Float32Array.from([7])));
    const out = JSON.parse(python(
      "r = {}\nfor n in ['ours', 'ours-1d', 'ours-0d']:\n  a = np.load(os.path.join(d, n + '.npy'))\n  r[n] = {'dtype': str(a.dtype), 'shape': list(a.shape), 'c': bool(a.flags['C_CONTIGUOUS']), 'values': a.reshape(-1).astype(float).tolist()}\nprint(json.dumps(r))",
      tmp,
    )) as Record<string, { dtype: string; shape: number[]; c: boolean; values: number[] }>;
    expect(out.ours).toEqual({ dtype: 'float32', shape: [2, 3, 4], c: true, values: Array.from(data) });
    expect(out['ours-1d']).toEqual({ dtype: 'float32', shape: [3], c: true, values: [1, 2, 3] });
    expect(out['ours-0d']).toEqual({ dtype: 'float32', shape: [], c: true, values: [7] });
    expect((await readFile(path.join(tmp, 'ours.npy'))).length).toBe(128 + 24 * 4); // 74 header bytes padded to 128
  });
});
