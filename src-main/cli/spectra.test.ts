// `convscope spectra` as CI runs it: a child process on models built here, its JSON checked against
// the naive DFT twin to 1e-6 relative, exit code 3 when a --fail-on condition holds.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './testing.ts';
import { close, filters, firingTestModel, naiveSpectra } from '../core/analysis/spectra/testing.ts';
import { readNpy } from '../core/images/index.ts';
import { GraphBuilder, seededRandom } from '../core/onnx/index.ts';
import { evaluateFailOn, parseFailOn } from './spectra.ts';
import { UsageError } from './args.ts';

let tmp: string;
let analytic: string;
let firing: string;
const K = 7;
const weights: number[] = [];

const cli = (...args: string[]) => runCli(args);

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-spectra-cli-'));
  // conv1 7×7 stride 4: cosine, checkerboard, Gaussian, zero, ×10, two more unit filters.
  const rnd = seededRandom(8);
  weights.push(
    ...filters.cosine(7, 3 / 16, 1 / 16), ...filters.checkerboard(7), ...filters.gaussian(7, 1.5), ...new Array(49).fill(0),
    ...filters.random(7, rnd).map((v) => v * 10), ...filters.random(7, rnd), ...filters.random(7, rnd),
  );
  const b = new GraphBuilder({ opset: 13 });
  let h = b.input('input', ['N', 1, 32, 32]);
  h = b.conv(h, { outChannels: K, kernel: 7, stride: 4, pad: 3, weights, name: 'conv1' });
  h = b.relu(h, 'relu1');
  h = b.flatten(h, 1, 'flatten');
  b.output(b.gemm(h, { out: 3, name: 'logits' }));
  analytic = path.join(tmp, 'analytic.onnx');
  writeFileSync(analytic, b.build());

  firing = path.join(tmp, 'firing.onnx');
  writeFileSync(firing, firingTestModel().bytes);
  mkdirSync(path.join(tmp, 'images/a'), { recursive: true });
  for (let n = 0; n < 3; n++) {
    const data = Buffer.alloc(20 * 20, n * 100);
    await sharp(data, { raw: { width: 20, height: 20, channels: 1 } }).png().toFile(path.join(tmp, `images/a/${n}.png`));
  }
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('convscope spectra', () => {
  it('--json numbers match the naive DFT to 1e-6 relative; the analytic filters get their flags; dead>0 exits 3', async () => {
    const npy = path.join(tmp, 'spectra.npy');
    const r = await cli('spectra', '--model', analytic, '--json', '--fail-on', 'dead>0,aliasing>0.5', '--spectra-out', npy);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/--fail-on: dead>0 holds \(1\), aliasing>0\.5 holds \(0\.\d+\)/);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ layer: 'conv1', kernel: [7, 7], stride: [4, 4], N: 32 });
    const e = naiveSpectra(weights, [K, 1, 7, 7], [4, 4]);
    out.filters.forEach((f: { index: number; rms: number; centroid: number; aliasingFraction: number; bands: Record<string, number> }, k: number) => {
      expect(f.index).toBe(k);
      const ok = (a: number, want: number, what: string) => expect(close(a, want, 1e-6, 1e-9), `filter ${k} ${what}: ${a} vs ${want}`).toBe(true);
      ok(f.rms, e.rms[k], 'rms');
      ok(f.centroid, e.centroid[k], 'centroid');
      ok(f.aliasingFraction, e.aliasing[k], 'aliasing');
      ok(f.bands.low, e.bands[k].low, 'low');
      ok(f.bands.mid, e.bands[k].mid, 'mid');
      ok(f.bands.high, e.bands[k].high, 'high');
    });
    const flags = out.filters.map((f: { flags: string[] }) => f.flags);
    expect(flags[1]).toContain('aliasing');
    expect(out.filters[1].aliasingFraction).toBeGreaterThan(0.99);
    expect(flags[2]).not.toContain('aliasing');
    expect(flags[3]).toEqual(['dead']);
    expect(flags[4]).toContain('dominant');
    // The summary from the per-filter numbers, independently.
    const alive = e.rms.map((_, k) => k).filter((k) => k !== 3);
    expect(out.summary).toMatchObject({ filters: K, dead: 1, dominant: 1 });
    expect(out.summary.aliasing).toBe(e.aliasing.filter((a) => a > 0.5).length);
    expect(close(out.summary.meanAliasingFraction, e.aliasing.reduce((s, a) => s + a, 0) / K)).toBe(true);
    expect(out.summary.midCoverage).toBeCloseTo(alive.filter((k) => e.centroid[k] >= 1 / 8 && e.centroid[k] < 1 / 4).length / alive.length, 12);
    expect(out.failOn.map((c: { holds: boolean }) => c.holds)).toEqual([true, out.summary.aliasing / K > 0.5]);
    // The fftshifted spectra as .npy.
    const arr = readNpy(new Uint8Array(readFileSync(npy)), npy);
    expect(arr.dims).toEqual([K, 32, 32]);
    const peak = Math.max(...e.power[0]);
    for (let i = 0; i < 32 * 32; i++) expect(Math.abs(arr.data[i] - e.power[0][i])).toBeLessThanOrEqual(1e-6 * peak);
  });

  it('prints a readable summary without --json and exits 0 when no condition holds', async () => {
    const r = await cli('spectra', '--model', analytic, '--fail-on', 'dominant>1,aliasing>=100%');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/7 filters: 1 dead, 1 dominant, \d+ alias at stride 4 \(mean 0\.\d\d\); mid-frequency coverage \d+%/);
    expect(r.stdout).toMatch(/dead \(weights rms < 1% of median/);
    expect(r.stdout).toMatch(/fail-on dominant>1: value 1 → ok/);
  });

  it('--images: a filter that never fires is dead by firing, with its firing rate', async () => {
    const r = await cli('spectra', '--model', firing, '--images', path.join(tmp, 'images'), '--json', '--provider', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.firing).toMatchObject({ layer: 'relu1', images: 3, failed: 0 });
    expect(out.filters[0].firingRate).toBe(1);
    expect(out.filters[1].firingRate).toBe(0);
    expect(out.filters[1].flags).toContain('dead');
    expect(out.filters[1].reasons.dead).toBe('never fires on 3 images');
  });

  it('--images names every skipped file on stderr and in the JSON; nothing readable exits 1; --strict exits 1 on any skip', async () => {
    const dir = path.join(tmp, 'skips');
    mkdirSync(dir, { recursive: true });
    for (const n of [0, 1]) copyFileSync(path.join(tmp, `images/a/${n}.png`), path.join(dir, `${n}.png`));
    writeFileSync(path.join(dir, 'broken.png'), 'not a png');
    writeFileSync(path.join(dir, 'notes.txt'), 'x');
    const r = await cli('spectra', '--model', firing, '--images', dir, '--json', '--provider', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.firing).toMatchObject({ images: 2, failed: 1 });
    expect(out.skipped).toEqual([{ path: 'notes.txt', reason: 'not an image (.txt)' }, { path: 'broken.png', reason: expect.any(String) }]);
    expect(r.stderr).toMatch(/skipped notes\.txt: not an image[\s\S]*skipped broken\.png: \S/);
    const strict = await cli('spectra', '--model', firing, '--images', dir, '--json', '--strict');
    expect(strict.code).toBe(1);
    expect(strict.stdout).toBe('');
    expect(strict.stderr).toMatch(/--strict: 1 file of .*skips skipped/);
    for (const n of [0, 1]) rmSync(path.join(dir, `${n}.png`));
    const none = await cli('spectra', '--model', firing, '--images', dir, '--json');
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/skipped notes\.txt[\s\S]*skipped broken\.png[\s\S]*none of the 1 images of .*skips could be read/);
    expect((await cli('spectra', '--model', analytic, '--strict')).code).toBe(2);
  });

  describe('opens the model as `info` does: refuses the same models with the same message', () => {
    const models: [string, () => Uint8Array][] = [
      ['an output that is not class scores (refused by the model session)', () => {
        const b = new GraphBuilder({ opset: 13 });
        let h = b.input('input', ['N', 1, 16, 16]);
        h = b.relu(b.conv(h, { outChannels: 2, kernel: 3, pad: 1, name: 'conv1' }), 'relu1');
        h = b.gemm(b.flatten(h, 1, 'flatten'), { out: 3, name: 'logits' });
        b.output(b.node('ArgMax', [h], { axis: 1, keepdims: 0 }, 1, { name: 'argmax', types: [7], shapes: [['N']] })[0]);
        return b.build();
      }],
      ['opset 99 (refused by onnxruntime)', () => {
        const b = new GraphBuilder({ opset: 99 });
        let h = b.input('input', ['N', 1, 16, 16]);
        h = b.relu(b.conv(h, { outChannels: 2, kernel: 3, pad: 1, name: 'conv1' }), 'relu1');
        b.output(b.gemm(b.flatten(h, 1, 'flatten'), { out: 3, name: 'logits' }));
        return b.build();
      }],
    ];
    it.each(models)('%s', async (name, build) => {
      const file = path.join(tmp, `refused-${name.length}.onnx`);
      writeFileSync(file, build());
      const lastLine = (t: string) => t.trim().split('\n').at(-1);
      const info = await cli('info', '--model', file, '--provider', 'cpu');
      expect(info.code).toBe(1);
      expect(lastLine(info.stderr)).toMatch(/^convscope: (onnxruntime cannot run )?refused-\d+\.onnx[: ]/);
      for (const extra of [[], ['--images', path.join(tmp, 'images')]]) {
        const r = await cli('spectra', '--model', file, '--provider', 'cpu', ...extra);
        expect(r.code).toBe(1);
        expect(r.stdout).toBe('');
        expect(lastLine(r.stderr)).toBe(lastLine(info.stderr));
      }
    });
  });

  it('bad conditions are usage errors (exit 2); a layer that is not a conv names the conv layers (exit 1)', async () => {
    const bad = await cli('spectra', '--model', analytic, '--fail-on', 'deadness>0');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown metric "deadness"/);
    const layer = await cli('spectra', '--model', analytic, '--layer', 'relu1');
    expect(layer.code).toBe(1);
    expect(layer.stderr).toMatch(/"relu1" is a Relu layer, not a Conv; conv layers: conv1/);
  });
});

describe('--fail-on rule: counts or shares', () => {
  const summary = { filters: 8, dead: 2, dominant: 0, aliasing: 3, meanAliasingFraction: 0.3, midCoverage: 0.1, medianRms: 1 };
  it('integers count filters; a fraction below 1 or a percentage is a share of the filters', () => {
    const out = evaluateFailOn(parseFailOn('dead>1, aliasing>0.25, aliasing>=50%, dominant=0, aliasing>=1, meanAliasingFraction>0.3, midCoverage<20%'), summary);
    expect(out.map((o) => [o.share, o.value, o.holds])).toEqual([
      [false, 2, true],
      [true, 3 / 8, true],
      [true, 3 / 8, false],
      [false, 0, true],
      [false, 3, true],
      [true, 0.3, false],
      [true, 0.1, true],
    ]);
    expect(out[2].threshold).toBe(0.5);
  });
  it('refuses what it cannot read', () => {
    expect(() => parseFailOn('')).toThrow(UsageError);
    expect(() => parseFailOn('dead')).toThrow(/cannot read "dead"/);
    expect(() => parseFailOn('dead>>1')).toThrow(UsageError);
  });
});
