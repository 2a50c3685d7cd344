// The walk's checks (e2e/walk.spec.ts): a small folder of 224×224 images drawn here, screenshots kept
// for a person to look at, and exports checked as files: a PNG's chunks, its decoding, its title and
// caption (text chunks) and its SVG twin; a data export's name and contents.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, type Page, type TestInfo } from '@playwright/test';
import sharp from 'sharp';
import { readTextChunks } from '../../src-main/common/png-text.ts';
import { pngChunkTypes, savedSvg, SINGLE_PNG_EXTENSION } from './png.ts';

export const SIZE = 224;
/** Where screenshots and exported figures are copied for a person to look at. */
export const SHOTS = process.env.CONVSCOPE_E2E_SHOTS ?? path.join(tmpdir(), 'walk-shots');

/** Three classes of two 224×224 colour images each: discs, stripes and a checkerboard, drawn from SVG. */
export async function writeShapeFolder(root: string): Promise<number> {
  const svg = (body: string, bg: string) => `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}"><rect width="100%" height="100%" fill="${bg}"/>${body}</svg>`;
  const classes: Record<string, string[]> = {
    disc: [svg('<circle cx="112" cy="112" r="64" fill="#e0452b"/>', '#f3e9d2'), svg('<circle cx="80" cy="140" r="48" fill="#2b6fe0"/><circle cx="160" cy="60" r="24" fill="#111"/>', '#dfe8d0')],
    stripes: [
      svg(Array.from({ length: 8 }, (_, i) => `<rect x="${i * 28}" width="14" height="224" fill="#1d3557"/>`).join(''), '#f1faee'),
      svg(Array.from({ length: 8 }, (_, i) => `<rect y="${i * 28}" width="224" height="14" fill="#2a9d8f" transform="rotate(30 112 112)"/>`).join(''), '#fefae0'),
    ],
    checker: [
      svg(Array.from({ length: 64 }, (_, i) => ((i + Math.floor(i / 8)) % 2 ? `<rect x="${(i % 8) * 28}" y="${Math.floor(i / 8) * 28}" width="28" height="28" fill="#222"/>` : '')).join(''), '#eee'),
      svg(Array.from({ length: 16 }, (_, i) => ((i + Math.floor(i / 4)) % 2 ? `<rect x="${(i % 4) * 56}" y="${Math.floor(i / 4) * 56}" width="56" height="56" fill="#8d2bd9"/>` : '')).join(''), '#f7d154'),
    ],
  };
  let n = 0;
  for (const [name, images] of Object.entries(classes)) {
    mkdirSync(path.join(root, name), { recursive: true });
    for (const [i, s] of images.entries()) {
      await sharp(Buffer.from(s)).png().toFile(path.join(root, name, `${name}-${i}.png`));
      n++;
    }
  }
  return n;
}

/** A screenshot of the page, attached to the report and copied where a person looks at them. */
export async function shot(app: Page, testInfo: TestInfo, name: string): Promise<void> {
  const file = testInfo.outputPath(`${name}.png`);
  await app.screenshot({ path: file });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
  mkdirSync(SHOTS, { recursive: true });
  copyFileSync(file, path.join(SHOTS, `${name}.png`));
}

export interface Caption {
  /** What the figure's title (PNG `Title`) says. */
  title: RegExp;
  /** What its caption (PNG `Description`) holds. */
  caption: (string | RegExp)[];
  /** The SVG button beside the PNG one, whose <title> and <desc> must match the PNG's. */
  svg?: string;
}

/**
 * Clicks an export button and checks the download: one `.png` extension, the PNG signature and
 * chunks, that it decodes to the size its header says, and its title and caption in its text
 * chunks; then the SVG beside it says the same.
 */
export async function checkPngExport(app: Page, testInfo: TestInfo, button: string, name: string, want: Caption): Promise<string> {
  const [download] = await Promise.all([app.waitForEvent('download'), app.locator(button).click()]);
  const file = download.suggestedFilename();
  expect(file, `${name}: one .png extension`).toMatch(SINGLE_PNG_EXTENSION);
  const saved = testInfo.outputPath(`export-${name}.png`);
  await download.saveAs(saved);
  mkdirSync(SHOTS, { recursive: true });
  copyFileSync(saved, path.join(SHOTS, `export-${name}.png`));
  await testInfo.attach(`export-${name}`, { path: saved, contentType: 'image/png' });
  const bytes = readFileSync(saved);
  const chunks = pngChunkTypes(bytes);
  expect(chunks[0], `${name}: IHDR first`).toBe('IHDR');
  expect(chunks.at(-1), `${name}: IEND last`).toBe('IEND');
  const raw = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  expect([raw.info.width, raw.info.height], `${name}: decodes to its header's size`).toEqual([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]);
  const text = readTextChunks(new Uint8Array(bytes));
  expect(text.Title, `${name}: its title (PNG text chunk Title)`).toMatch(want.title);
  expect(text.Description, `${name}: its caption (PNG text chunk Description)`).toBeTruthy();
  for (const c of want.caption) {
    if (typeof c === 'string') expect(text.Description, `${name}: caption`).toContain(c);
    else expect(text.Description, `${name}: caption`).toMatch(c);
  }
  if (want.svg) {
    const [svgDownload] = await Promise.all([app.waitForEvent('download'), app.locator(want.svg).click()]);
    expect(svgDownload.suggestedFilename()).toBe(file.replace(/\.png$/, '.svg'));
    const svg = await savedSvg(svgDownload);
    expect(svg.title, `${name}: the SVG's title`).toBe(text.Title);
    // The same caption, but for its date: the two exports may fall either side of a minute.
    const undated = (t: string) => t.replace(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/g, '<date> UTC');
    expect(undated(svg.desc), `${name}: the SVG's caption`).toBe(undated(text.Description));
    await svgDownload.saveAs(testInfo.outputPath(`export-${name}.svg`));
  }
  return `${name} export: ${file} ${raw.info.width}×${raw.info.height} · Title "${text.Title}" · Description "${text.Description.replace(/\n/g, ' / ')}"`;
}

/** Clicks a non-PNG export and checks its file name has one extension and the file is not empty. */
export async function checkOtherExport(app: Page, button: string, ext: string): Promise<string> {
  const [download] = await Promise.all([app.waitForEvent('download'), app.locator(button).click()]);
  const file = download.suggestedFilename();
  expect(file).toMatch(new RegExp(`^[^/\\\\]+\\.${ext}$`));
  expect(file).not.toMatch(/\.(png|jpe?g|onnx|npy|csv|json)\.\w+$/i);
  expect(readFileSync((await download.path())!).length).toBeGreaterThan(0);
  return readFileSync((await download.path())!, 'utf8');
}

