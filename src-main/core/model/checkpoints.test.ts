// Checkpoint sets: ordering by the epoch in the file names, what counts as a set, and the
// architecture check's message.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSameArchitecture, epochOf, listCheckpoints, type CheckpointArchitecture } from './checkpoints.ts';
import { packageRoot } from './resources.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-ckpt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('epochOf', () => {
  it('reads the number after epoch/ep/e, else the last number, else null', () => {
    expect(epochOf('epoch-01.onnx')).toBe(1);
    expect(epochOf('epoch_10.onnx')).toBe(10);
    expect(epochOf('model_ep7.onnx')).toBe(7);
    expect(epochOf('resnet18-e12.onnx')).toBe(12);
    expect(epochOf('vgg16-epoch=3-step=1200.onnx')).toBe(3);
    expect(epochOf('ckpt-0042.onnx')).toBe(42);
    expect(epochOf('zf-mini.onnx')).toBeNull();
    expect(epochOf('final.onnx')).toBeNull();
  });
});

describe('listCheckpoints', () => {
  it('orders a folder by epoch (2 before 10), numbered before unnumbered, ties by name; skips other files', async () => {
    const dir = path.join(tmp, 'a');
    mkdirSync(dir);
    for (const n of ['epoch-10.onnx', 'epoch-2.onnx', 'final.onnx', 'best.onnx', 'epoch-1.onnx', 'notes.txt', '.hidden.onnx', 'epoch-1.convscope.json']) writeFileSync(path.join(dir, n), 'x');
    const list = await listCheckpoints(dir);
    expect(list.map((c) => c.name)).toEqual(['epoch-1.onnx', 'epoch-2.onnx', 'epoch-10.onnx', 'best.onnx', 'final.onnx']);
    expect(list.map((c) => c.epoch)).toEqual([1, 2, 10, null, null]);
    expect(list.every((c) => path.isAbsolute(c.file))).toBe(true);
  });

  it('takes files and folders together, each file once; the demo set is epochs 1, 2, 5, 10 and the final model', async () => {
    const root = packageRoot();
    const ck = path.join(root, 'resources/models/zf-mini/checkpoints');
    const final = path.join(root, 'resources/models/zf-mini/zf-mini.onnx');
    const list = await listCheckpoints([final, ck, path.join(ck, 'epoch-05.onnx')]);
    expect(list.map((c) => [c.name, c.epoch])).toEqual([['epoch-01.onnx', 1], ['epoch-02.onnx', 2], ['epoch-05.onnx', 5], ['epoch-10.onnx', 10], ['zf-mini.onnx', null]]);
  });

  it('names what it cannot use', async () => {
    await expect(listCheckpoints(path.join(tmp, 'nope'))).rejects.toThrow(/nope: no such file or folder/);
    const empty = path.join(tmp, 'empty');
    mkdirSync(empty);
    await expect(listCheckpoints(empty)).rejects.toThrow(/empty holds no \.onnx file/);
    writeFileSync(path.join(tmp, 'x.txt'), 'x');
    await expect(listCheckpoints([path.join(tmp, 'x.txt')])).rejects.toThrow(/x\.txt is not an \.onnx file/);
    await expect(listCheckpoints([])).rejects.toThrow(/no checkpoint given/);
  });
});

describe('checkSameArchitecture', () => {
  const arch = (name: string, layers: [string, number[]][], input = { channels: 1, height: 64, width: 64 }): CheckpointArchitecture => ({ name, input, layers: layers.map(([id, shape]) => ({ id, shape })) });
  const a = arch('epoch-1.onnx', [['conv1', [1, 8, 32, 32]], ['relu1', [1, 8, 32, 32]], ['fc', [1, 10]]]);

  it('accepts one architecture', () => {
    expect(() => checkSameArchitecture([a, { ...a, name: 'epoch-2.onnx' }])).not.toThrow();
  });

  it('names the first file and the first layer that differ', () => {
    const wider = arch('epoch-2.onnx', [['conv1', [1, 8, 32, 32]], ['relu1', [1, 16, 32, 32]], ['fc', [1, 12]]]);
    const renamed = arch('epoch-3.onnx', [['conv1', [1, 8, 32, 32]], ['act1', [1, 8, 32, 32]], ['fc', [1, 10]]]);
    expect(() => checkSameArchitecture([a, { ...a, name: 'e2.onnx' }, wider, renamed])).toThrow('checkpoints must share one architecture: epoch-2.onnx differs from epoch-1.onnx: layer "relu1" is [1×16×32×32], not [1×8×32×32]');
    expect(() => checkSameArchitecture([a, renamed])).toThrow('epoch-3.onnx differs from epoch-1.onnx: layer 2 is "act1", not "relu1"');
    expect(() => checkSameArchitecture([a, arch('b.onnx', [['conv1', [1, 8, 32, 32]], ['relu1', [1, 8, 32, 32]]])])).toThrow('b.onnx differs from epoch-1.onnx: it has no layer "fc"');
    expect(() => checkSameArchitecture([a, arch('c.onnx', [['conv1', [1, 8, 32, 32]]], { channels: 3, height: 64, width: 64 })])).toThrow('c.onnx differs from epoch-1.onnx: its input is 3×64×64, not 1×64×64');
    try {
      checkSameArchitecture([a, wider]);
    } catch (e) {
      expect(e).toMatchObject({ code: 'MODEL_UNSUPPORTED', details: { file: 'epoch-2.onnx', layer: 'relu1' } });
    }
  });
});
