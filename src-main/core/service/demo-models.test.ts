// The shipped demo models (resources/models, made by resources/models/train/train.py) load with the
// real runtime, have the documented shapes, and — with the app's own decoder and preprocessing from
// their sidecars — score on the 300 shipped samples within 3 points of what the training script
// measured on the same PNGs. A preprocessing mismatch between training and the app fails here.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultPaths, packageRoot } from '../model/resources.ts';
import { createService } from './service.ts';

const models = path.join(packageRoot(), 'resources/models');
const samples = defaultPaths().images;
const service = createService({ shell: 'server', provider: 'cpu' });
afterAll(() => service.close());

function onnxFiles(): string[] {
  const out: string[] = [];
  for (const name of ['zf-mini', 'alex-mini']) {
    out.push(path.join(models, name, `${name}.onnx`));
    const ck = path.join(models, name, 'checkpoints');
    if (existsSync(ck)) for (const f of readdirSync(ck).sort()) if (f.endsWith('.onnx')) out.push(path.join(ck, f));
  }
  return out;
}

describe('shipped demo models', () => {
  it('ships both models, zf-mini checkpoints at epochs 1, 2, 5, 10, and 300 samples in 10 classes', () => {
    const files = onnxFiles().map((f) => path.relative(models, f));
    expect(files).toEqual(expect.arrayContaining([
      'zf-mini/zf-mini.onnx', 'alex-mini/alex-mini.onnx',
      'zf-mini/checkpoints/epoch-01.onnx', 'zf-mini/checkpoints/epoch-02.onnx',
      'zf-mini/checkpoints/epoch-05.onnx', 'zf-mini/checkpoints/epoch-10.onnx',
    ]));
    const classes = readdirSync(samples).filter((d) => !d.includes('.'));
    expect(classes).toHaveLength(10);
    for (const c of classes) expect(readdirSync(path.join(samples, c)).filter((f) => f.endsWith('.png'))).toHaveLength(30);
  });

  for (const file of onnxFiles()) {
    const rel = path.relative(models, file);
    it(`${rel}: 1×64×64 gray input, 10 class scores, the paper's layer kinds`, async () => {
      const info = await service.openModel({ path: file });
      expect(info.input).toMatchObject({ channels: 1, height: 64, width: 64 });
      expect(typeof info.input.dims[0]).toBe('string'); // dynamic batch
      expect(info.numClasses).toBe(10);
      expect(info.labels).toHaveLength(10);
      expect(info.preprocessing.channels).toBe('gray');
      const kinds = info.layers.map((l) => l.kind);
      expect(kinds.filter((k) => k === 'conv').length).toBeGreaterThanOrEqual(4);
      expect(info.layers.filter((l) => l.op === 'MaxPool').length).toBeGreaterThanOrEqual(2);
      expect(info.layers.filter((l) => l.op === 'LRN').length).toBe(2);
      expect(kinds.filter((k) => k === 'fc').length).toBeGreaterThanOrEqual(2);
      const conv1 = info.layers.find((l) => l.kind === 'conv')!;
      const expected = rel.startsWith('alex') ? { k: 11, s: 4 } : { k: 7, s: 2 };
      expect(conv1.receptiveField).toMatchObject({ size: [expected.k, expected.k], stride: [expected.s, expected.s] });
    });
  }

  for (const name of ['zf-mini', 'alex-mini']) {
    it(`${name}: accuracy on the 300 samples through the app's pipeline is within 3 points of the training script's`, async () => {
      const reference = JSON.parse(readFileSync(path.join(models, name, 'reference.json'), 'utf8')) as {
        samplesAccuracy: number;
        samples: Record<string, number>;
      };
      await service.openModel({ path: path.join(models, name, `${name}.onnx`) });
      await service.openFolder({ path: samples });
      const { entries } = await service.listImages({ offset: 0, limit: 1000 });
      expect(entries).toHaveLength(300);
      let correct = 0;
      let agree = 0;
      for (const e of entries) {
        const p = await service.predict({ path: e.path, topK: 1 });
        expect(p.trueIndex).not.toBeNull();
        if (p.top[0].index === p.trueIndex) correct++;
        if (p.top[0].index === reference.samples[`fashion-mnist/${e.path}`]) agree++;
      }
      const accuracy = correct / entries.length;
      expect(Math.abs(accuracy - reference.samplesAccuracy)).toBeLessThanOrEqual(0.03);
      // Same PNGs, same preprocessing: the predictions themselves should agree almost everywhere.
      expect(agree / entries.length).toBeGreaterThanOrEqual(0.97);
    });
  }
});
