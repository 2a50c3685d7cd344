import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { GraphBuilder } from '../src-main/core/onnx/builder.ts';
import { expect, SERVER_ONLY, test } from './fixtures.ts';
import { fillPath } from './support/file-browser.ts';
import { savedPng, SINGLE_PNG_EXTENSION } from './support/png.ts';
import { paths } from './support/env.ts';

// zf-mini's layers (see `npx convscope info --model resources/models/zf-mini/zf-mini.onnx`).
// The e2e tsconfig has no DOM types: the page's globals as far as the in-page recorder below needs them.
interface PageNode {
  textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageNode | null;
  getBoundingClientRect(): { width: number; height: number };
}
declare const document: { body: unknown; querySelector(selector: string): PageNode | null };
declare const MutationObserver: new (callback: () => void) => { observe(target: unknown, options: Record<string, boolean>): void };

const RELU2 = '/relu2/Relu_output_0'; // 64 maps of 8×8, receptive field 27 px: a box inside the 64×64 input
const RELU5 = '/relu5/Relu_output_0';
const CONV1 = '/conv1/Conv_output_0';
const RELU1 = '/relu1/Relu_output_0'; // 32×32×32 in zf-mini, 32×16×16 in alex-mini (same tensor name)

async function openLayerBrowser(app: Page): Promise<void> {
  await app.getByTestId('view-layers').click();
  await expect(app.getByTestId('layer-browser')).toBeVisible();
}

/** Chooses a layer and waits for its maps; returns the number of maps its list entry names. */
async function chooseLayer(app: Page, id: string): Promise<number> {
  const option = app.locator(`[data-testid="layer-option"][data-id="${id}"]`);
  await option.click();
  await expect(option).toHaveAttribute('aria-selected', 'true');
  await expect(app.getByTestId('map-grid')).toHaveAttribute('data-layer', id);
  await expect(app.getByTestId('maps')).toHaveAttribute('data-loading', 'false');
  const shape = (await option.textContent()) ?? '';
  const m = shape.match(/(\d+)×\d+×\d+|(\d+)\s*$/);
  expect(m, `a shape in "${shape}"`).toBeTruthy();
  return Number(m![1] ?? m![2]);
}

async function settledPanel(app: Page): Promise<Locator> {
  const panel = app.getByTestId('projection-panel');
  await expect(panel).toHaveAttribute('data-loading', 'false');
  return panel;
}

async function naturalWidth(img: Locator): Promise<number> {
  return img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth);
}

test.describe('the layer browser', () => {
  test('shows a layer’s maps, projects a clicked map beside the input with its receptive field, and moves with the keys', async ({ app, shell }, testInfo) => {
    await openLayerBrowser(app);
    // Opens on the last ReLU of a conv layer.
    await expect(app.locator('[data-testid="layer-option"][aria-selected="true"]')).toHaveAttribute('data-id', RELU5);

    const count = await chooseLayer(app, RELU2);
    expect(count).toBe(64);
    const grid = app.getByTestId('map-grid');
    await expect(grid).toHaveAttribute('data-count', String(count));
    await expect(grid.getByTestId('feature-map')).toHaveCount(count);
    // No map chosen yet: the panel says what to do, with no empty projection tile beside it.
    const idle = app.getByTestId('projection-panel');
    await expect(idle.getByTestId('projection-hint')).toContainText('Click a feature map');
    await expect(idle.getByTestId('projection-placeholder')).toHaveCount(0);
    await expect(idle.locator('figure')).toHaveCount(0);

    // Strongest first, then click the strongest map.
    await app.getByTestId('sort-mode').locator('[data-value="max"]').click();
    const first = grid.getByTestId('feature-map').first();
    const channel = await first.getAttribute('data-channel');
    const maxText = (await first.locator('.max').textContent())?.trim();
    await first.click();
    await expect(first).toHaveAttribute('aria-selected', 'true');

    const panel = await settledPanel(app);
    await expect(panel).toHaveAttribute('data-channel', channel!);
    await expect(panel).toHaveAttribute('data-mode', 'single');
    const projection = panel.getByTestId('projection-image');
    await expect(projection).toHaveAttribute('src', /^blob:/);
    await expect.poll(() => naturalWidth(projection)).toBe(64);
    // The projected activation is the map's maximum (its argmax).
    await expect(panel.getByTestId('projection-value')).toHaveText(maxText!);
    await expect(panel.getByTestId('projection-position')).toHaveText(/^\(\d, \d\)$/);
    await expect(panel.getByTestId('projection-ms')).toHaveText(/^\d+(\.\d)? ms$/);
    await expect(panel.getByTestId('projection-skipped')).toContainText('contrast normalisation');
    await expect.poll(() => naturalWidth(panel.getByTestId('model-input-image'))).toBe(64);
    const box = await panel.getByTestId('rf-box').boundingBox();
    const input = await panel.getByTestId('model-input-image').boundingBox();
    expect(box && input).toBeTruthy();
    expect(box!.width).toBeGreaterThan(10);
    expect(box!.width).toBeLessThan(input!.width); // 27 px (or less, clipped) of 64
    await expect(panel.getByTestId('image-patch')).toBeVisible();
    await expect(panel.getByTestId('projection-patch')).toBeVisible();

    await testInfo.attach('layer-browser', { path: await shot(app, testInfo.outputPath('layer-browser.png')), contentType: 'image/png' });

    // Map mode projects the whole map: no single position, no receptive field.
    await panel.getByTestId('projection-mode').locator('[data-value="map"]').click();
    await expect(panel).toHaveAttribute('data-mode', 'map');
    await settledPanel(app);
    await expect(panel.getByTestId('projection-position')).toHaveText('whole map');
    await expect(panel.getByTestId('rf-box')).toHaveCount(0);
    await expect(projection).toBeVisible();

    // Right arrow: the next map in the grid's order.
    const second = await grid.getByTestId('feature-map').nth(1).getAttribute('data-channel');
    await app.keyboard.press('ArrowRight');
    await expect(grid.locator(`[data-channel="${second}"]`)).toHaveAttribute('aria-selected', 'true');
    await expect(panel).toHaveAttribute('data-channel', second!);
    await app.keyboard.press('ArrowLeft');
    await expect(panel).toHaveAttribute('data-channel', channel!);

    // Clicking a unit of the enlarged map projects that position (back in single mode).
    const zoom = panel.getByTestId('map-zoom');
    const z = (await zoom.boundingBox())!;
    await app.mouse.click(z.x + 2, z.y + 2);
    await expect(panel).toHaveAttribute('data-mode', 'single');
    await settledPanel(app);
    await expect(panel.getByTestId('projection-position')).toHaveText('(0, 0)');
    await expect(panel.getByTestId('map-zoom-marker')).toHaveAttribute('data-y', '0');
    await expect(panel.getByTestId('map-zoom-marker')).toHaveAttribute('data-x', '0');
    // A corner unit is often 0 after the ReLU: then the panel says why the projection is grey.
    const note = panel.getByTestId('projection-note');
    if ((await panel.getByTestId('projection-value').textContent())?.trim() === '0') {
      await expect(note).toHaveText("this unit's activation is 0 here: nothing to project");
    } else {
      await expect(note).toHaveCount(0);
    }

    if (shell === 'web') {
      const [npy] = await Promise.all([app.waitForEvent('download'), panel.getByTestId('export-npy').click()]);
      expect(npy.suggestedFilename()).toBe(`relu2-c${channel}-single-y0x0.npy`);
      const bytes = await readFile(await npy.path());
      expect([...bytes.subarray(0, 6)]).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
      expect(bytes.toString('latin1', 10, 80)).toContain("'shape': (1, 64, 64)");
      expect(bytes.length).toBe(128 + 4 * 64 * 64);
      // The PNG is a figure: the 64×64 display image scaled up, under a title and over a caption.
      const [dl] = await Promise.all([app.waitForEvent('download'), panel.getByTestId('export-png').click()]);
      const png = await savedPng(dl);
      expect(png.name).toBe(`relu2-c${channel}-single-y0x0.png`);
      expect(png.name).toMatch(SINGLE_PNG_EXTENSION);
      expect(png.width).toBeGreaterThan(256);
      expect(png.height).toBeGreaterThan(256 + 60);
      expect(png.text.Title).toMatch(new RegExp(`^Deconvnet projection \\(single\\) of layer \\S*relu2\\S*, map ${channel} at \\(0, 0\\)`));
      expect(png.text.Description).toMatch(/^model zf-mini\.onnx · layer \S*relu2\S* · image \S+ · /);
    }
  });

  test('follows the selected image; the model panel’s layer names open the browser', async ({ app }) => {
    await app.getByTestId('model-panel').locator(`[data-testid="open-layer"][aria-label*="${CONV1}"]`).click();
    await expect(app.getByTestId('layer-browser')).toBeVisible();
    const conv1 = app.locator(`[data-testid="layer-option"][data-id="${CONV1}"]`);
    await expect(conv1).toHaveAttribute('aria-selected', 'true');
    // Up/down in the focused layer list move the choice.
    await app.getByTestId('layer-list').focus();
    await app.keyboard.press('ArrowDown');
    await expect(app.getByTestId('map-grid')).toHaveAttribute('data-layer', RELU1);
    await app.keyboard.press('ArrowUp');
    await expect(conv1).toHaveAttribute('aria-selected', 'true');
    await expect(app.getByTestId('map-grid')).toHaveAttribute('data-layer', CONV1);
    await expect(app.getByTestId('maps')).toHaveAttribute('data-loading', 'false');

    const maps = app.getByTestId('maps');
    const before = await maps.getAttribute('data-path');
    await app.getByTestId('map-grid').locator('[data-channel="3"]').click();
    const panel = await settledPanel(app);
    await expect(panel).toHaveAttribute('data-path', before!);

    const thumb = app.locator('[data-testid="thumb"][data-index="4"]');
    await thumb.click();
    const path = await thumb.getAttribute('data-path');
    expect(path).not.toBe(before);
    await expect(maps).toHaveAttribute('data-path', path!);
    // The chosen map stays chosen and is projected again for the new image.
    await expect(panel).toHaveAttribute('data-path', path!);
    await expect(panel).toHaveAttribute('data-channel', '3');

    // Racing through images (the strip has focus): only the last image's maps and projection stay.
    for (let i = 0; i < 6; i++) await app.keyboard.press('ArrowRight');
    const last = app.locator('[data-testid="thumb"][data-index="10"]');
    await expect(last).toHaveAttribute('aria-selected', 'true');
    const lastPath = (await last.getAttribute('data-path'))!;
    await expect(maps).toHaveAttribute('data-path', lastPath);
    await expect(maps).toHaveAttribute('data-loading', 'false');
    await settledPanel(app);
    await expect(panel).toHaveAttribute('data-path', lastPath);
    await app.waitForTimeout(500);
    await expect(maps).toHaveAttribute('data-path', lastPath);
    await expect(panel).toHaveAttribute('data-path', lastPath);
  });

  test('opening another model reloads the maps and projects the chosen map again', async ({ app, shell }) => {
    test.skip(shell !== 'web', SERVER_ONLY);
    await openLayerBrowser(app);
    await chooseLayer(app, RELU1);
    await expect(app.getByTestId('map-dims')).toHaveText('32 maps · 32×32');
    await app.getByTestId('map-grid').locator('[data-channel="5"]').click();
    const panel = await settledPanel(app);
    await expect(panel).toHaveAttribute('data-channel', '5');
    try {
      await openModelAt(app, path.join(paths.models, 'alex-mini'), 'alex-mini.onnx');
      // The same tensor name exists in alex-mini, with 16×16 maps: the layer and map stay chosen.
      await expect(app.getByTestId('layer-browser')).toBeVisible();
      await expect(app.getByTestId('map-dims')).toHaveText('32 maps · 16×16');
      await expect(app.getByTestId('maps')).toHaveAttribute('data-loading', 'false');
      await settledPanel(app);
      await expect(panel).toHaveAttribute('data-channel', '5');
      // alex-mini's first layer sees 11×11 pixels (fewer where clipped at the border); zf-mini's 7×7.
      await expect(panel.getByTestId('projection-box')).toHaveText(/\((\d|1[01])×(\d|1[01])\)$/);
      await expect(panel.getByTestId('rf-box')).toBeVisible();
      await expect(panel.getByTestId('map-zoom')).toBeVisible();
    } finally {
      // Leave the server as the other specs expect it.
      await openModelAt(app, path.join(paths.models, 'zf-mini'), 'zf-mini.onnx');
    }
    await expect(app.getByTestId('map-dims')).toHaveText('32 maps · 32×32');
  });

  test('“project all maps” streams a projection per map into a grid, and cancel stops it', async ({ app }) => {
    await openLayerBrowser(app);
    const count = await chooseLayer(app, RELU2);
    const batch = app.getByTestId('batch');
    await app.getByTestId('project-all').click();
    const thumbs = app.getByTestId('projection-grid').getByTestId('projection-thumb');
    await expect(thumbs).toHaveCount(count);
    await expect(batch).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
    await expect(batch).toHaveAttribute('data-done', String(count));
    await expect(app.getByTestId('projection-grid').locator('[data-done="true"] img')).toHaveCount(count);
    // A thumbnail chooses its map.
    await thumbs.nth(5).click();
    await expect(app.getByTestId('projection-panel')).toHaveAttribute('data-channel', (await thumbs.nth(5).getAttribute('data-channel'))!);

    // Cancel, on a job long enough to cancel: the whole maps of a 256-map layer at 224×224 (the demo
    // model's layers project in well under a second, before a click could land).
    const dir = mkdtempSync(path.join(tmpdir(), 'convscope-e2e-wide-'));
    writeFileSync(path.join(dir, 'wide.onnx'), wideModel());
    try {
      await openModelAt(app, dir, 'wide.onnx');
      const units = await chooseLayer(app, 'wide');
      expect(units).toBe(256);
      const panel = app.getByTestId('projection-panel');
      await panel.getByTestId('projection-mode').locator('[data-value="map"]').click();
      await expect(panel.getByTestId('projection-mode')).toHaveAttribute('data-value', 'map');
      // What it shows while running is recorded in the page as it happens.
      await app.evaluate(() => {
        const seen = { counts: [] as string[], bars: [] as [number, number][] };
        (globalThis as unknown as { __batch: typeof seen }).__batch = seen;
        const look = () => {
          const b = document.querySelector('[data-testid="batch"]');
          if (b?.getAttribute('data-status') !== 'running') return;
          const count = b.querySelector('[data-testid="batch-count"]')?.textContent?.trim();
          if (count && !seen.counts.includes(count)) seen.counts.push(count);
          const r = b.querySelector('[role="progressbar"]')?.getBoundingClientRect();
          if (r) seen.bars.push([r.width, r.height]);
        };
        new MutationObserver(look).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
      });
      await app.getByTestId('project-all').click();
      await expect.poll(async () => Number(await batch.getAttribute('data-done')), { intervals: [20], timeout: 60_000 }).toBeGreaterThanOrEqual(1);
      await app.getByTestId('batch-cancel').click();
      await expect(batch).toHaveAttribute('data-status', 'cancelled');
      const done = Number(await batch.getAttribute('data-done'));
      expect(done).toBeLessThan(units);
      const filled = app.getByTestId('projection-grid').locator('[data-done="true"]');
      await expect(filled).toHaveCount(done);
      // Nothing more arrives once cancelled.
      await app.waitForTimeout(800);
      await expect(batch).toHaveAttribute('data-done', String(done));
      await expect(filled).toHaveCount(done);
      // A readable bar and a count with its rate (issue 14), while it ran.
      const seen = await app.evaluate(() => (globalThis as unknown as { __batch: { counts: string[]; bars: [number, number][] } }).__batch);
      expect(seen.counts.some((c) => /^\d+ \/ 256 maps · [\d.,]+\/s/.test(c)), seen.counts.join(' | ')).toBe(true);
      expect(seen.bars.length).toBeGreaterThan(0);
      for (const [w, h] of seen.bars) {
        expect(w).toBeGreaterThanOrEqual(80);
        expect(h).toBeGreaterThanOrEqual(8);
      }
    } finally {
      // Leave the server as the other specs expect it.
      await openModelAt(app, path.join(paths.models, 'zf-mini'), 'zf-mini.onnx');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** 3×224×224 → conv 7×7/2 (64) → relu → maxpool → conv 3×3 (256) → relu "wide" (256 maps of 56×56) → pool → fc. */
function wideModel(): Uint8Array {
  const b = new GraphBuilder({ opset: 13, seed: 4 });
  let h = b.input('input', ['N', 3, 224, 224]);
  h = b.relu(b.conv(h, { outChannels: 64, kernel: 7, stride: 2, pad: 3, name: 'conv1' }), 'relu1');
  h = b.maxPool(h, { kernel: 3, stride: 2, pad: 1, name: 'pool1' });
  h = b.relu(b.conv(h, { outChannels: 256, kernel: 3, pad: 1, name: 'conv2' }), 'wide');
  h = b.flatten(b.globalAveragePool(h, 'gap'), 1, 'flatten');
  b.output(b.gemm(h, { out: 10, name: 'logits' }));
  return b.build();
}

/** Opens a model through the server-side file browser (server mode). */
async function openModelAt(app: Page, dir: string, file: string): Promise<void> {
  await app.getByTestId('open-model').click();
  const dialog = app.getByTestId('browser');
  await fillPath(dialog, dir);
  await dialog.getByTestId('browser-go').click();
  await expect(dialog.getByTestId('browser-path')).toHaveValue(dir);
  await dialog.locator(`[data-testid="browser-entry"][data-name="${file}"]`).click();
  await expect(dialog).toBeHidden();
  await expect(app.getByTestId('model-name')).toHaveText(file, { timeout: 60_000 });
}

async function shot(app: Page, path: string): Promise<string> {
  await app.screenshot({ path });
  return path;
}
