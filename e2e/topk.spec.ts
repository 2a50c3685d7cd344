// The Top-9 view against the server: scan the sample folder (cache in a temp dir), browse the wall,
// open a map's top-9 (projections beside patches), open an entry in the layer browser, reopen from cache.
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Locator } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { savedPng, savedSvg, SINGLE_PNG_EXTENSION } from './support/png.ts';

// The server inherits the environment: a fresh cache, so the first scan really scans.
process.env.CONVSCOPE_CACHE_DIR = mkdtempSync(path.join(os.tmpdir(), 'convscope-e2e-topk-'));

const CONV5 = '/conv5/Conv_output_0';
const RELU5 = '/relu5/Relu_output_0';

test.describe('the Top-9 view', () => {
  test('scans the sample folder, opens a map’s top-9 and an entry in the layer browser', async ({ app }, testInfo) => {
    await app.getByTestId('view-topk').click();
    const view = app.getByTestId('TopkView');
    await expect(view).toBeVisible();
    await expect(app.getByTestId('topk-layer')).toHaveValue(CONV5);
    await app.getByTestId('topk-scan').click();
    const summary = app.getByTestId('topk-summary');
    await expect(summary).toHaveAttribute('data-complete', 'true', { timeout: 60_000 });
    await expect(summary).toContainText('300 of 300 images');
    await expect(app.getByTestId('topk-never-fires')).toBeVisible();

    // The wall: one tile per map of conv5 (64), filling with patches.
    const wall = app.getByTestId('topk-wall');
    await expect(wall).toHaveAttribute('data-layer', CONV5);
    await expect(wall.getByTestId('topk-map')).toHaveCount(64);
    await expect(wall.getByTestId('topk-map').first().locator('img')).toHaveCount(9);
    // Maps not loaded yet hold a placeholder per patch; once all are in, none are left.
    await expect.poll(() => wall.locator('.nine').evaluateAll((ns) => ns.every((n) => n.children.length === 9))).toBe(true);
    await expect(wall.getByTestId('topk-tile-placeholder')).toHaveCount(0, { timeout: 60_000 });
    await expect(wall.getByTestId('topk-wall-loading')).toHaveCount(0);

    // Fig. 2 for the strongest map (the wall opens sorted by mean maximum).
    const firstMap = wall.getByTestId('topk-map').first();
    const channel = await firstMap.getAttribute('data-channel');
    await firstMap.click();
    const figure = app.getByTestId('topk-figure');
    await expect(figure).toHaveAttribute('data-channel', channel!);
    await expect(figure).toHaveAttribute('data-loading', 'false');
    await expect(figure.getByTestId('topk-projection')).toHaveCount(9);
    await expect(figure.getByTestId('topk-patch')).toHaveCount(9);
    // Every projection and patch image decoded.
    for (const img of await figure.locator('img').all()) {
      await expect.poll(() => img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
    }
    // Each tile's rank and value sit under it: no label overprints a picture.
    const labels = figure.getByTestId('topk-label');
    await expect(labels).toHaveCount(18);
    await expect(labels.first()).toHaveText(/^#1 · a = \S+$/);
    const boxes = async (l: Locator) => Promise.all((await l.all()).map(async (e) => (await e.boundingBox())!));
    const pictures = await boxes(figure.locator('img'));
    for (const t of await boxes(labels)) {
      for (const p of pictures) expect(t.x < p.x + p.width && p.x < t.x + t.width && t.y < p.y + p.height && p.y < t.y + t.height, 'a label on a picture').toBe(false);
    }

    // Exports: the figure as PNG, the scan as JSON.
    const [dl] = await Promise.all([app.waitForEvent('download'), figure.getByTestId('topk-export-png').click()]);
    await dl.saveAs(testInfo.outputPath('topk-export.png'));
    const png = await savedPng(dl);
    expect(png.name).toBe(`topk-conv5_Conv_output_0-c${channel}.png`);
    expect(png.name).toMatch(SINGLE_PNG_EXTENSION);
    // Larger than the bare 3×3 + 3×3 grid (608×296): the title, the ranks and the caption.
    expect(png.width).toBeGreaterThan(608);
    expect(png.height).toBeGreaterThan(296 + 60);
    expect(png.text.Title).toContain(`map ${channel}`);
    expect(png.text.Description).toMatch(/model zf-mini\.onnx · layer \S*conv5[^·]* · image folder /);
    expect(png.text.Description).toContain('1. ');
    // The SVG twin: every tile its own picture, its label as text, and no swatches (squares) beside the ranks.
    const [svgDl] = await Promise.all([app.waitForEvent('download'), figure.getByTestId('topk-export-svg').click()]);
    const svgText = await readFile((await svgDl.path())!, 'utf8');
    expect((await savedSvg(svgDl)).pictures).toBe(18);
    expect(svgText.match(/<rect /g), 'only the background is a rectangle').toHaveLength(1);
    expect(svgText).toContain('>#1 · a = ');
    const json = app.waitForEvent('download');
    await app.getByTestId('topk-export-json').click();
    const saved = JSON.parse(await readFile((await (await json).path())!, 'utf8'));
    expect(saved.layers[0]).toMatchObject({ layer: CONV5, tensor: RELU5, images: 300 });
    expect(saved.layers[0].maps[Number(channel)].entries).toHaveLength(9);

    // An entry opens its image in the layer browser, on relu5 at that map.
    const patch = figure.getByTestId('topk-patch').nth(1);
    const image = await patch.getAttribute('data-image');
    await patch.click();
    await expect(app.getByTestId('layer-browser')).toBeVisible();
    await expect(app.locator('[data-testid="layer-option"][aria-selected="true"]')).toHaveAttribute('data-id', RELU5);
    await expect(app.getByTestId('maps')).toHaveAttribute('data-path', image!);
    await expect(app.getByTestId('projection-panel')).toHaveAttribute('data-loading', 'false');

    // Back in the view, scanning again takes everything from the cache.
    await app.getByTestId('view-topk').click();
    await app.getByTestId('topk-back').click();
    await expect(app.getByTestId('topk-wall')).toBeVisible();
    await app.getByTestId('topk-scan').click();
    await expect(app.getByTestId('topk-summary')).toContainText('from the cache');
  });

  test('scans every conv layer at once and lists the maps that never fire per layer', async ({ app }) => {
    await app.getByTestId('view-topk').click();
    await app.getByTestId('topk-scope').locator('[data-value="conv"]').click();
    await app.getByTestId('topk-scan').click();
    await expect(app.getByTestId('topk-summary')).toHaveAttribute('data-complete', 'true', { timeout: 60_000 });
    const layers = app.getByTestId('topk-result-layer');
    await expect(layers).toHaveCount(5);
    await layers.first().click();
    await expect(app.getByTestId('topk-wall')).toHaveAttribute('data-layer', '/conv1/Conv_output_0');
    await expect(app.getByTestId('topk-wall').getByTestId('topk-map')).toHaveCount(32);
    const never = app.getByTestId('topk-never-fires');
    const count = Number(await never.getAttribute('data-count'));
    await expect(app.getByTestId('topk-wall').locator('.tile.dead')).toHaveCount(count);
  });
});
