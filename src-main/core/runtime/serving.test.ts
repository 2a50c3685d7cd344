// The session the app projects with (tap.ts serveTapped): a pass fetches only what it is asked
// for, and a projection computes its switches from the kept input; opening reports its stages and
// can be cancelled.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseModel, serializeModel } from '../onnx/model.ts';
import { tapModel } from '../onnx/tap.ts';
import { seededRandom } from '../onnx/seeded-random.ts';
import { zfFullWidthModel, zfTestModel } from '../onnx/test-models.ts';
import type { ProjectionRequest } from '../deconv/index.ts';
import { nodeRuntimeHost } from './launch-node.ts';
import type { RuntimeProgress } from './protocol.ts';
import { chooseProvider } from './provider.ts';

const cpu = chooseProvider('cpu');
let dir: string;
let small: string;
const SIZE = 64;
const rnd = seededRandom(11);
const x = Float32Array.from({ length: 3 * SIZE * SIZE }, () => rnd() * 2 - 1);
const feeds = { input: { dims: [1, 3, SIZE, SIZE], data: x } };
const source = (file: string) => {
  const st = statSync(file);
  return { file, rewrite: { kind: 'tap-all' as const }, mtimeMs: st.mtimeMs, size: st.size };
};

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'convscope-serving-'));
  small = path.join(dir, 'zf.onnx');
  writeFileSync(small, zfTestModel({ inputSize: SIZE, channels: 3, classes: 5, seed: 21 }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('passes fetch what they are asked for; projections compute their switches', () => {
  it('a pass kept without switches projects as one that computed them, and as ORT\'s own in-graph switches', async () => {
    const host = nodeRuntimeHost();
    try {
      const opened = await host.open('served', source(small), { ...cpu, deconv: 'engine' });
      const layers = opened.graph!.layers.filter((l) => l.kind === 'relu').map((l) => l.id);
      // The reference: every switch an output of the model, from MaxPool nodes that output Indices.
      await host.load('tapped', serializeModel(tapModel(parseModel(readFileSync(small), 'zf.onnx'), 'all').model), { ...cpu, deconv: 'engine' });
      const grid = await host.run('served', feeds, [layers[2]], 'grid');
      expect(Object.keys(grid)).toEqual([layers[2]]);
      await host.run('served', feeds, [layers[2]], 'ready', layers);
      await host.run('tapped', feeds, [], 'ref');
      const requests: ProjectionRequest[] = layers.flatMap((layer) => [0, 3].map((channel) => ({ layer, channel, mode: 'single' as const })));
      const lazy = await host.project('served', 'grid', requests);
      const ready = await host.project('served', 'ready', requests);
      // The layer browser's pass: the maps at once, what projections read in the background; a click
      // before that is done waits for it, one after finds it ready.
      await host.run('served', feeds, [layers[2]], 'soon', layers, true);
      const soon = await host.project('served', 'soon', requests);
      await host.run('served', feeds, [layers[2]], 'later', layers, true);
      await new Promise((r) => setTimeout(r, 300));
      const later = await host.project('served', 'later', requests);
      const ref = await host.project('tapped', 'ref', requests);
      ref.forEach((r, i) => {
        expect(lazy[i].position).toEqual(r.position);
        expect(Array.from(lazy[i].data)).toEqual(Array.from(r.data));
        expect(Array.from(ready[i].data)).toEqual(Array.from(r.data));
        expect(Array.from(soon[i].data)).toEqual(Array.from(r.data));
        expect(Array.from(later[i].data)).toEqual(Array.from(r.data));
      });
      expect(ref.some((r) => r.data.some((v) => v !== 0)), 'projections are not all zero').toBe(true);
    } finally {
      await host.close();
    }
  }, 60_000);
});

describe('compiled reverse paths', () => {
  it('more layers than are kept compiled: released and built again as used, every projection as the engine\'s', async () => {
    const host = nodeRuntimeHost();
    try {
      const opened = await host.open('compiled', source(small), { ...cpu, deconv: 'compiled' });
      await host.open('engine', source(small), { ...cpu, deconv: 'engine' });
      const layers = opened.graph!.layers.filter((l) => l.kind === 'relu' || l.kind === 'pool').map((l) => l.id);
      expect(layers.length).toBeGreaterThan(4);
      await host.run('compiled', feeds, [], 'x', layers);
      await host.run('engine', feeds, [], 'x', layers);
      // Twice round: the first layers' graphs were released by the time they come again.
      for (const layer of [...layers, ...layers]) {
        const request: ProjectionRequest[] = [{ layer, channel: 1, mode: 'single' }];
        const [c] = await host.project('compiled', 'x', request);
        const [e] = await host.project('engine', 'x', request);
        expect(c.backend).toBe('compiled');
        expect(c.position).toEqual(e.position);
        let worst = 0;
        c.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - e.data[i]))));
        expect(worst, layer).toBeLessThan(1e-4 * Math.max(1, ...Array.from(e.data, Math.abs)));
      }
    } finally {
      await host.close();
    }
  }, 60_000);
});

describe('opening a model', () => {
  it('reports its stages in order', async () => {
    const host = nodeRuntimeHost();
    try {
      const seen: RuntimeProgress[] = [];
      await host.open('m', source(small), cpu, { onProgress: (p) => seen.push(p) });
      expect(seen.map((p) => p.stage)).toEqual(['reading zf.onnx (0 MB)', 'adding the taps', 'loading into onnxruntime']);
      expect(seen.map((p) => [p.done, p.total])).toEqual([[0, 4], [1, 4], [2, 4]]);
    } finally {
      await host.close();
    }
  });

  it('cancelled while the runtime reads a large model: CANCELLED, and the models opened before still run', async () => {
    const big = path.join(dir, 'zf-full.onnx');
    writeFileSync(big, zfFullWidthModel(96));
    const host = nodeRuntimeHost();
    try {
      await host.open('small', source(small), cpu);
      const before = await host.run('small', feeds, []);
      const pid = host.pid;
      const ac = new AbortController();
      const opening = host.open('big', source(big), cpu, { onProgress: () => ac.abort(), signal: ac.signal });
      await expect(opening).rejects.toMatchObject({ code: 'CANCELLED', message: 'opening zf-full.onnx: cancelled' });
      const after = await host.run('small', feeds, []);
      expect(host.pid).not.toBe(pid);
      for (const name of Object.keys(before)) expect(after[name].data).toEqual(before[name].data);
      // A cancelled open leaves nothing to load again.
      await expect(host.run('big', { input: { dims: [1, 3, 96, 96], data: new Float32Array(3 * 96 * 96) } }, [])).rejects.toThrow(/no session is loaded/);
    } finally {
      await host.close();
    }
  }, 60_000);
});
