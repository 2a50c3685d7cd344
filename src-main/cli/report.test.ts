// `convscope report` as a user runs it, on the shipped demo (zf-mini, the 300 samples): every section
// present, every embedded image a PNG that decodes, nothing loaded from outside the file, the same
// file twice (the date aside), --json the same content, and --fail-on's exit code.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './testing.ts';

const MODEL = path.resolve('resources/models/zf-mini/zf-mini.onnx');
const SAMPLES = path.resolve('resources/samples/fashion-mnist');
const SECTIONS = ['summary', 'graph', 'spectra', 'never-fires', 'topk', 'invariance', 'occlusion', 'probe', 'provenance'];
let tmp: string;
let env: Record<string, string>;
let first: { code: number; html: string; stderr: string };

const masked = (html: string) => html.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, 'DATE');
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-cli-report-'));
  env = { CONVSCOPE_CACHE_DIR: path.join(tmp, 'cache') };
  const out = path.join(tmp, 'a.html');
  const r = await runCli(['report', '--model', MODEL, '--images', SAMPLES, '--out', out, '--provider', 'cpu'], env);
  first = { code: r.code, html: readFileSync(out, 'utf8'), stderr: r.stderr };
}, 120_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('convscope report', () => {
  it('writes one HTML file with every section, progress on stderr', () => {
    expect(first.code).toBe(0);
    for (const s of SECTIONS) expect(first.html, s).toContain(`data-section="${s}"`);
    for (const s of ['spectra', 'top-k scan', 'invariance', 'occlusion', 'probe features']) expect(first.stderr).toContain(`convscope report: ${s}…`);
    // One coloured graph per metric, each naming its source.
    for (const m of ['neverFires', 'flagged', 'probe', 'invariance', 'faithfulness']) expect(first.html).toContain(`data-metric="${m}"`);
    expect(first.html).toContain('top-k scans of ' + SAMPLES);
    // Provenance: the model file's sha256, the version from package.json.
    const hash = createHash('sha256').update(readFileSync(MODEL)).digest('hex');
    expect(first.html).toContain(hash);
    const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
    expect(first.html).toMatch(new RegExp(`data-field="Convscope">${version.replace(/\./g, '\\.')}<`));
  });

  it('is self-contained: no script, nothing fetched, every image a data URL that decodes', async () => {
    const html = first.html;
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)="(?!data:image\/png;base64,)[^"#]/);
    expect(html).not.toMatch(/url\((?!#)/);
    expect(html).toContain(`Content-Security-Policy" content="default-src 'none'`);
    const urls = [...html.matchAll(/src="data:image\/png;base64,([^"]+)"/g)].map((m) => m[1]);
    // Filters of 5 conv layers, 9 tiles × 2 images × 2 maps × 5 layers (fewer if a layer has one firing map), 3 occlusion figures × 2.
    expect(urls.length).toBeGreaterThan(5 + 6 + 9 * 2 * 5);
    for (const u of urls) {
      const meta = await sharp(Buffer.from(u, 'base64')).metadata();
      expect(meta.format).toBe('png');
      expect(meta.width).toBeGreaterThan(0);
    }
  });

  it('gives the same file twice for a fixed folder (the date aside), and --json the same content', async () => {
    const out = path.join(tmp, 'b.html');
    const r = await runCli(['report', '--model', MODEL, '--images', SAMPLES, '--out', out, '--json', '--provider', 'cpu'], env);
    expect(r.code).toBe(0);
    const second = readFileSync(out, 'utf8');
    expect(masked(second)).not.toBe(second); // the date was there to mask
    expect(sha(masked(second))).toBe(sha(masked(first.html)));
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(['provenance', 'summary', 'metrics', 'spectra', 'topk', 'invariance', 'occlusion', 'probe']);
    expect(j.provenance.images).toBe(300);
    expect(j.probe.layers).toHaveLength(7);
    for (const l of j.topk) expect(first.html).toContain(`${l.maps}</td><td>${l.neverFires.length ? `${l.neverFires.length}:` : 'none'}`);
  }, 120_000);

  it('--fail-on exits 3 when a condition holds for a conv layer, 0 when none does; bad input exits 2', async () => {
    const base = ['report', '--model', MODEL, '--images', SAMPLES, '--sections', 'spectra,topk', '--out', path.join(tmp, 'c.html'), '--provider', 'cpu'];
    const hold = await runCli([...base, '--fail-on', 'neverFires>=0,dead>1000'], env);
    expect(hold.code).toBe(3);
    expect(hold.stderr).toMatch(/fail-on neverFires>=0: HOLDS at \/conv1\/Conv_output_0/);
    expect(hold.stderr).toContain('fail-on dead>1000: ok');
    const ok = await runCli([...base, '--fail-on', 'dead>1000,neverFires>100%'], env);
    expect(ok.code).toBe(0);
    const html = readFileSync(path.join(tmp, 'c.html'), 'utf8');
    expect(html).toContain('data-section="spectra"');
    expect(html).not.toContain('data-section="probe"');
    const bad = await runCli([...base, '--fail-on', 'sparkle>1'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown metric "sparkle"');
    const badSection = await runCli(['report', '--model', MODEL, '--images', SAMPLES, '--sections', 'topk,colour'], env);
    expect(badSection.code).toBe(2);
    expect(badSection.stderr).toContain('unknown section "colour"');
  }, 120_000);
});
