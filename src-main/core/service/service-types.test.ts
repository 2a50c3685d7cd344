// The service over a model with an int64 Cast on the spine and a bool Greater feeding a Where (issue 11
// item 10; the model layer's side is in core/model/model-session-types.test.ts): int64 activations read
// as numbers, and the bool layer is named as one Convscope cannot read.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noisePng } from '../analysis/topk/testing.ts';
import { mixedTypesTestModel } from '../onnx/index.ts';
import { createDispatcher } from './dispatcher.ts';
import { createService } from './service.ts';

let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-types-'));
  writeFileSync(path.join(tmp, 'mixed.onnx'), mixedTypesTestModel());
  mkdirSync(path.join(tmp, 'images/a'), { recursive: true });
  await noisePng(path.join(tmp, 'images/a/0.png'), 1, 16);
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('a model with non-float values on the spine', () => {
  it('through the service: int64 activations read as numbers; the bool layer is named as unreadable', async () => {
    const service = createService({ shell: 'server', provider: 'cpu' });
    const call = createDispatcher(service);
    try {
      expect(await call('openModel', { path: path.join(tmp, 'mixed.onnx') })).toMatchObject({ ok: true });
      expect(await call('openFolder', { path: path.join(tmp, 'images') })).toMatchObject({ ok: true });
      expect(await call('predict', { path: 'a/0.png' })).toMatchObject({ ok: true });
      const acts = await call('layerActivations', { path: 'a/0.png', layer: 'as_int' });
      expect(acts).toMatchObject({ ok: true, value: { dims: [4, 16, 16] } });
      const data = (acts as { value: { data: Float32Array } }).value.data;
      expect(data.every((v) => Number.isInteger(v))).toBe(true);
      expect(await call('layerActivations', { path: 'a/0.png', layer: 'positive' })).toMatchObject({
        ok: false, error: { code: 'MODEL_UNSUPPORTED', message: expect.stringContaining('"positive" (Greater)') },
      });
    } finally {
      await service.close();
    }
  });
});
