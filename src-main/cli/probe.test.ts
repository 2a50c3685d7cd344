// `convscope probe` as a user runs it: the real binary in a child process, on the shipped demo.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noisePng } from '../core/analysis/topk/testing.ts';
import { runCli } from './testing.ts';

const MODEL = path.resolve('resources/models/zf-mini/zf-mini.onnx');
const SAMPLES = path.resolve('resources/samples/fashion-mnist');
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-cli-probe-'));
  for (let i = 0; i < 3; i++) await noisePng(path.join(tmp, `${i}.png`), i, 30);
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('convscope probe', () => {
  it('prints the DESIGN JSON for zf-mini on the samples: every conv and hidden fc layer, model accuracy and chance', async () => {
    const r = await runCli(['probe', '--model', MODEL, '--images', SAMPLES, '--folds', '3', '--lambda', '2', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ images: 300, classes: 10, folds: 3, lambda: 2, chance: 0.1, skipped: [] });
    expect(j.modelAccuracy).toBeGreaterThan(0.5);
    expect(j.layers.map((l: { layer: string }) => l.layer)).toEqual(['conv1', 'conv2', 'conv3', 'conv4', 'conv5'].map((c) => `/${c}/Conv_output_0`).concat(['/fc6/Gemm_output_0', '/fc7/Gemm_output_0']));
    expect(j.layers.map((l: { features: number }) => l.features)).toEqual([32, 64, 96, 96, 64, 256, 256]);
    for (const l of j.layers) {
      expect(l.accuracy).toBeGreaterThan(j.chance);
      expect(l.accuracy).toBeLessThanOrEqual(1);
      expect(l.std).toBeGreaterThanOrEqual(0);
    }
  }, 60_000);

  it('refuses a folder without class sub-folders and bad options, naming them', async () => {
    const flat = await runCli(['probe', '--model', MODEL, '--images', tmp]);
    expect(flat.code).toBe(2);
    expect(flat.stderr).toContain(`${tmp} has no class sub-folders: linear probes need`);
    const lam = await runCli(['probe', '--model', MODEL, '--images', SAMPLES, '--lambda', '0']);
    expect(lam.code).toBe(2);
    expect(lam.stderr).toContain('--lambda must be a positive number, got "0"');
    const layer = await runCli(['probe', '--model', MODEL, '--images', SAMPLES, '--layers', 'nope']);
    expect(layer.code).toBe(1);
    expect(layer.stderr).toContain('has no layer "nope"');
  }, 60_000);
});
