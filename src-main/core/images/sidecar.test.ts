import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Preprocessing } from '../../common/types.ts';
import { ImageError } from './errors.ts';
import { matchClassToLabel, parseLabels } from './labels.ts';
import { defaultPreprocessing } from './preprocess.ts';
import { cachedSidecarPath, loadSidecar, saveModelSidecar, saveSidecar, sidecarPath, validatePreprocessing } from './sidecar.ts';

let tmp: string;
let sidecarDir: string;
let n = 0;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'convscope-sidecar-'));
  sidecarDir = path.join(tmp, 'cache', 'sidecars');
});
const load = (model: string, channels: 1 | 3, size: [number, number]) => loadSidecar(model, channels, size, { sidecarDir });
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A fresh folder with a (fake) model in it; returns the model path. */
async function modelIn(sidecar?: unknown, name = 'zf.onnx'): Promise<string> {
  const dir = path.join(tmp, `m${n++}`);
  await mkdir(dir);
  const model = path.join(dir, name);
  await writeFile(model, 'not really onnx');
  if (sidecar !== undefined) await writeFile(sidecarPath(model), typeof sidecar === 'string' ? sidecar : JSON.stringify(sidecar));
  return model;
}

const grayOk: Preprocessing = { inputSize: [64, 64], channels: 'gray', scale: 255, mean: [0.5], std: [0.5], resize: 'stretch' };

describe('sidecarPath', () => {
  it('replaces .onnx with .convscope.json beside the model', () => {
    expect(sidecarPath('/m/zf.onnx')).toBe('/m/zf.convscope.json');
    expect(sidecarPath('/m/ZF.ONNX')).toBe('/m/ZF.convscope.json');
    expect(sidecarPath('/m/net.v2.onnx')).toBe('/m/net.v2.convscope.json');
    expect(sidecarPath('rel/model')).toBe(path.join('rel', 'model.convscope.json'));
  });
});

describe('loadSidecar', () => {
  it('without a sidecar: the defaults, marked assumed, and nothing written anywhere', async () => {
    const model = await modelIn();
    const r = await load(model, 3, [224, 224]);
    expect(r).toEqual({ preprocessing: defaultPreprocessing(3, [224, 224]), path: sidecarPath(model), assumed: true, labels: null });
    expect(await readdir(path.dirname(model))).toEqual(['zf.onnx']);
    expect(await readdir(sidecarDir).catch(() => [])).toEqual([]);
    // Still assumed on the next open: opening confirms nothing.
    expect(await load(model, 3, [224, 224])).toMatchObject({ assumed: true });
  });

  it('a saved sidecar beside the model is read and no longer assumed', async () => {
    const model = await modelIn();
    expect(await saveModelSidecar(model, sidecarPath(model), defaultPreprocessing(3, [224, 224]), { channels: 3, inputSize: [224, 224] }, { sidecarDir })).toBe(sidecarPath(model));
    const text = await readFile(sidecarPath(model), 'utf8');
    expect(text).toContain('"mean": [0.485, 0.456, 0.406]'); // one line, for people editing it
    expect(await readdir(path.dirname(model))).toEqual(['zf.convscope.json', 'zf.onnx']); // no temp file left
    expect(await load(model, 3, [224, 224])).toEqual({ preprocessing: defaultPreprocessing(3, [224, 224]), path: sidecarPath(model), assumed: false, labels: null });
  });

  it('a save where the model folder cannot be written goes to the cache folder, which is then read', async () => {
    // As root every folder is writable, so use a folder that does not exist: the write fails the same way.
    const model = path.join(tmp, 'no-such-folder', 'zf.onnx');
    expect(await load(model, 1, [64, 64])).toMatchObject({ assumed: true, path: sidecarPath(model) });
    const written = await saveModelSidecar(model, sidecarPath(model), grayOk, { channels: 1, inputSize: [64, 64] }, { sidecarDir });
    expect(written).toBe(cachedSidecarPath(model, sidecarDir));
    expect(path.dirname(written)).toBe(sidecarDir);
    expect(path.basename(written)).toMatch(/^zf-[0-9a-f]{12}\.convscope\.json$/);
    expect(await load(model, 1, [64, 64])).toEqual({ preprocessing: grayOk, path: written, assumed: false, labels: null });
    // Another model of the same name elsewhere has its own.
    expect(cachedSidecarPath(path.join(tmp, 'other', 'zf.onnx'), sidecarDir)).not.toBe(written);
  });

  it('a save that does not fit the model is refused, not moved to the cache folder', async () => {
    const model = path.join(tmp, 'no-such-folder-2', 'zf.onnx');
    await expect(saveModelSidecar(model, sidecarPath(model), { ...grayOk, mean: [1, 2] }, { channels: 1, inputSize: [64, 64] }, { sidecarDir }))
      .rejects.toMatchObject({ code: 'SIDECAR_INVALID', message: 'zf.convscope.json: mean has 2 values but the model has 1 channel' });
    expect(await load(model, 1, [64, 64])).toMatchObject({ assumed: true });
  });

  it('resolves a label file relative to the sidecar, trimming trailing blank lines and CRLF', async () => {
    const model = await modelIn({ ...grayOk, labels: 'labels.txt' });
    await writeFile(path.join(path.dirname(model), 'labels.txt'), 'T-shirt/top\r\nTrouser \r\n\r\nAnkle boot\r\n\r\n\r\n');
    const r = await load(model, 1, [64, 64]);
    expect(r.labels).toEqual(['T-shirt/top', 'Trouser', '', 'Ankle boot']);
    expect(r.preprocessing.labels).toBe('labels.txt');
  });

  it('reads a label file in a parent folder, as the demo models\' sidecars do', async () => {
    const model = await modelIn({ ...grayOk, labels: '../labels.txt' });
    await writeFile(path.join(path.dirname(model), '..', 'labels.txt'), 'Bag\nSandal\n');
    expect((await load(model, 1, [64, 64])).labels).toEqual(['Bag', 'Sandal']);
  });

  it('takes inline labels', async () => {
    const model = await modelIn({ ...grayOk, labels: ['a', 'b'] });
    expect((await load(model, 1, [64, 64])).labels).toEqual(['a', 'b']);
  });

  it('SIDECAR_INVALID naming the sidecar and the missing label file', async () => {
    const model = await modelIn({ ...grayOk, labels: 'classes/names.txt' });
    const err = await load(model, 1, [64, 64]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageError);
    expect(err).toMatchObject({ code: 'SIDECAR_INVALID', file: sidecarPath(model) });
    expect((err as Error).message).toMatch(/^zf\.convscope\.json: label file "classes\/names\.txt" not found/);
  });

  it('fills missing fields with defaults (a sidecar may hold only labels)', async () => {
    const model = await modelIn({ labels: ['x'] });
    const r = await load(model, 3, [32, 32]);
    expect(r.preprocessing).toEqual({ ...defaultPreprocessing(3, [32, 32]), labels: ['x'] });
  });

  it('SIDECAR_INVALID for broken JSON, naming the file', async () => {
    const model = await modelIn('{ "mean": [0.5, }');
    await expect(load(model, 1, [64, 64])).rejects.toMatchObject({ code: 'SIDECAR_INVALID', message: expect.stringMatching(/^zf\.convscope\.json is not valid JSON/) });
  });
});

describe('validatePreprocessing', () => {
  const file = '/models/zf.convscope.json';
  const check = (v: unknown, channels: 1 | 3 = 1, size: [number, number] | null = [64, 64]) => () => validatePreprocessing(v, channels, size, file);

  it('accepts a valid sidecar, drops unknown keys, copies arrays', () => {
    const v = { ...grayOk, note: 'mine', labels: ['a'] };
    const p = validatePreprocessing(v, 1, [64, 64], file);
    expect(p).toEqual({ ...grayOk, labels: ['a'] });
    expect(p.mean).not.toBe(v.mean);
  });

  it('names the file and the field', () => {
    expect(check({ ...grayOk, mean: [0.1, 0.2, 0.3] })).toThrow('zf.convscope.json: mean has 3 values but the model has 1 channel');
    expect(check({ ...grayOk, std: [1, 1] })).toThrow('zf.convscope.json: std has 2 values but the model has 1 channel');
    expect(check({ ...grayOk, inputSize: [32, 32] })).toThrow('zf.convscope.json: inputSize [32,32] does not match the model input 64×64');
    expect(check({ ...grayOk, inputSize: [32] })).toThrow(/inputSize must be \[H, W\] with two positive integers/);
    expect(check({ ...grayOk, channels: 'RGB' })).toThrow('zf.convscope.json: channels "RGB" needs a 3-channel model but the model has 1 channel');
    expect(check({ ...grayOk, channels: 'rgb' })).toThrow(/channels must be "RGB", "BGR" or "gray", got "rgb"/);
    expect(check({ ...grayOk, scale: 0 })).toThrow(/scale must be a positive number/);
    expect(check({ ...grayOk, std: [0] })).toThrow(/std values must be positive \(std\[0\] is 0\)/);
    expect(check({ ...grayOk, mean: ['0.5'] })).toThrow(/mean must be a list of numbers/);
    expect(check({ ...grayOk, resize: 'crop' })).toThrow(/resize must be "shorter-side\+center-crop" or "stretch"/);
    expect(check({ ...grayOk, labels: 7 })).toThrow(/labels must be a label file name or a list of strings/);
    expect(check([1, 2])).toThrow('zf.convscope.json: expected a JSON object');
    try {
      check({ ...grayOk, mean: [] })();
    } catch (e) {
      expect(e).toMatchObject({ code: 'SIDECAR_INVALID', file, details: { field: 'mean' } });
    }
  });

  it('a dynamic model size (null) accepts any size but needs one', () => {
    expect(validatePreprocessing({ ...grayOk, inputSize: [100, 80] }, 1, null, file).inputSize).toEqual([100, 80]);
    expect(check({ channels: 'gray' }, 1, null)).toThrow(/inputSize is required/);
  });

  it('BGR without mean/std gets ImageNet statistics in BGR order', () => {
    const p = validatePreprocessing({ channels: 'BGR' }, 3, [8, 8], file);
    expect(p.mean).toEqual([0.406, 0.456, 0.485]);
    expect(p.std).toEqual([0.225, 0.224, 0.229]);
  });
});

describe('the layout of a channels-last model', () => {
  const rgb = defaultPreprocessing(3, [32, 32]);

  it('is stated by the defaults and by any sidecar read for it; a sidecar stating another layout is refused', async () => {
    expect(defaultPreprocessing(3, [32, 32], 'NHWC')).toEqual({ ...rgb, layout: 'NHWC' });
    expect(rgb.layout).toBeUndefined();
    const file = '/models/keras.convscope.json';
    expect(validatePreprocessing({ channels: 'RGB' }, 3, [32, 32], file, 'NHWC').layout).toBe('NHWC');
    expect(validatePreprocessing({ channels: 'RGB', layout: 'NCHW' }, 3, [32, 32], file).layout).toBe('NCHW');
    expect(() => validatePreprocessing({ layout: 'NCHW' }, 3, [32, 32], file, 'NHWC')).toThrow(
      'keras.convscope.json: layout "NCHW" does not match the model, whose input is N×H×W×C (NHWC)',
    );
    expect(() => validatePreprocessing({ layout: 'NHWC' }, 3, [32, 32], file)).toThrow(/layout "NHWC" does not match the model, whose input is N×C×H×W \(NCHW\)/);
    expect(() => validatePreprocessing({ layout: 'HWC' }, 3, [32, 32], file, 'NHWC')).toThrow(/layout must be "NCHW" or "NHWC", got "HWC"/);
    const missing = await loadSidecar(await modelIn(), 3, [32, 32], { sidecarDir, layout: 'NHWC' });
    expect(missing).toMatchObject({ assumed: true, preprocessing: { layout: 'NHWC' } });
  });

  it('is written by a save for the model, even when the preprocessing saved leaves it out', async () => {
    const model = await modelIn(undefined, 'keras.onnx');
    const written = await saveModelSidecar(model, sidecarPath(model), rgb, { channels: 3, inputSize: [32, 32], layout: 'NHWC' }, { sidecarDir });
    expect(JSON.parse(await readFile(written, 'utf8'))).toMatchObject({ layout: 'NHWC' });
    expect((await loadSidecar(model, 3, [32, 32], { sidecarDir, layout: 'NHWC' })).preprocessing).toEqual({ ...rgb, layout: 'NHWC' });
    await expect(loadSidecar(model, 3, [32, 32], { sidecarDir })).rejects.toMatchObject({ code: 'SIDECAR_INVALID', details: { field: 'layout' } });
  });
});

describe('saveSidecar', () => {
  it('writes pretty JSON atomically, keeping unknown keys and their place', async () => {
    const model = await modelIn({ comment: 'trained by me', inputSize: [64, 64], channels: 'gray', labels: 'old.txt', future: { x: [1, 2] } });
    const file = sidecarPath(model);
    await saveSidecar(file, { ...grayOk, mean: [0.25] });
    const text = await readFile(file, 'utf8');
    const saved = JSON.parse(text) as Record<string, unknown>;
    expect(saved).toEqual({ comment: 'trained by me', inputSize: [64, 64], channels: 'gray', future: { x: [1, 2] }, scale: 255, mean: [0.25], std: [0.5], resize: 'stretch' });
    expect(Object.keys(saved)).toEqual(['comment', 'inputSize', 'channels', 'future', 'scale', 'mean', 'std', 'resize']);
    expect(text.endsWith('}\n')).toBe(true);
    expect(await readdir(path.dirname(file))).toEqual(['zf.convscope.json', 'zf.onnx']);
  });

  it('validates before writing, against the model when given', async () => {
    const model = await modelIn(grayOk);
    const file = sidecarPath(model);
    await expect(saveSidecar(file, { ...grayOk, mean: [0.1, 0.2] })).rejects.toMatchObject({ code: 'SIDECAR_INVALID', message: 'zf.convscope.json: mean has 2 values but the model has 1 channel' });
    await expect(saveSidecar(file, { ...grayOk, inputSize: [28, 28] }, { channels: 1, inputSize: [64, 64] })).rejects.toThrow(/does not match the model input 64×64/);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(grayOk); // untouched
  });

  it('names the file when it cannot be written', async () => {
    const file = path.join(tmp, 'missing-dir', 'x.convscope.json');
    await expect(saveSidecar(file, grayOk)).rejects.toMatchObject({ code: 'SIDECAR_INVALID', message: expect.stringMatching(/^x\.convscope\.json could not be written: ENOENT/) });
  });

  it('round-trips through loadSidecar', async () => {
    const model = await modelIn();
    const p: Preprocessing = { inputSize: [32, 48], channels: 'BGR', scale: 1, mean: [103.9, 116.8, 123.7], std: [1, 1, 1], resize: 'stretch', labels: ['x', 'y'] };
    await saveSidecar(sidecarPath(model), p);
    const r = await load(model, 3, [32, 48]);
    expect(r.preprocessing).toEqual(p);
    expect(r.labels).toEqual(['x', 'y']);
  });
});

describe('labels', () => {
  const fashion = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

  it('matches folder names to labels ignoring case and punctuation', () => {
    expect(matchClassToLabel('t-shirt-top', fashion)).toBe(0);
    expect(matchClassToLabel('ankle-boot', fashion)).toBe(9);
    expect(matchClassToLabel('Ankle_Boot', fashion)).toBe(9);
    expect(matchClassToLabel('shirt', fashion)).toBe(6); // not T-shirt/top
    expect(matchClassToLabel('hat', fashion)).toBeNull();
    expect(matchClassToLabel('---', ['', 'a'])).toBeNull(); // nothing left to compare
  });

  it('a numeric folder name is the index, if in range', () => {
    expect(matchClassToLabel('7', fashion)).toBe(7);
    expect(matchClassToLabel('07', fashion)).toBe(7);
    expect(matchClassToLabel('10', fashion)).toBeNull();
    expect(matchClassToLabel('3', null)).toBe(3);
    expect(matchClassToLabel('cat', null)).toBeNull();
    expect(matchClassToLabel('1', ['0', '5', '1'])).toBe(2); // a label named "1" wins over index 1
  });

  it('parseLabels keeps inner blank lines (line n is class n) and drops trailing ones', () => {
    expect(parseLabels('\uFEFFa\n\nb\n\n')).toEqual(['a', '', 'b']);
    expect(parseLabels('')).toEqual([]);
  });
});
