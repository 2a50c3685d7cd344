// A channels-last (Keras/tf2onnx) model in the app (issue 15): the model panel says its input is
// N×H×W×C, and the layer browser projects from a conv layer and from the dense layer, whose reverse
// path crosses the Transpose back to N×H×W×C, to a 32×32 image.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { nhwcTestModels } from '../src-main/core/onnx/nhwc-test-model.ts';
import { expect, SERVER_ONLY, test } from './fixtures.ts';
import { fillPath } from './support/file-browser.ts';

const FILE = 'keras.onnx';

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

async function naturalWidth(img: Locator): Promise<number> {
  return img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth);
}

/** Chooses a layer, clicks its strongest map and waits for the projection; returns the panel. */
async function projectStrongest(app: Page, layer: string): Promise<Locator> {
  const option = app.locator(`[data-testid="layer-option"][data-id="${layer}"]`);
  await option.click();
  await expect(app.getByTestId('map-grid')).toHaveAttribute('data-layer', layer);
  await expect(app.getByTestId('maps')).toHaveAttribute('data-loading', 'false');
  await app.getByTestId('sort-mode').locator('[data-value="max"]').click();
  const first = app.getByTestId('map-grid').getByTestId('feature-map').first();
  const channel = await first.getAttribute('data-channel');
  await first.click();
  const panel = app.getByTestId('projection-panel');
  await expect(panel).toHaveAttribute('data-channel', channel!);
  await expect(panel).toHaveAttribute('data-loading', 'false');
  await expect(panel.getByTestId('projection-image')).toHaveAttribute('src', /^blob:/);
  return panel;
}

test.describe('a channels-last model', () => {
  test.skip(({ shell }) => shell !== 'web', SERVER_ONLY);
  let dir: string;
  test.beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'convscope-e2e-nhwc-'));
    writeFileSync(path.join(dir, FILE), nhwcTestModels({ inputSize: 32, classes: 10, seed: 3 }).nhwc);
  });
  test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('opens saying its layout, and projects from a conv layer and from the dense layer', async ({ app }, testInfo) => {
    await openModelAt(app, dir, FILE);
    const panel = app.getByTestId('model-panel');
    await expect(panel.getByTestId('input-shape')).toHaveText('unk__0×32×32×3 (NHWC)');
    await expect(panel.locator('.pp-summary')).toContainText('32×32 RGB NHWC');

    await app.getByTestId('view-layers').click();
    await expect(app.getByTestId('layer-browser')).toBeVisible();
    for (const layer of ['relu2', 'logits']) {
      const projection = await projectStrongest(app, layer);
      await expect.poll(() => naturalWidth(projection.getByTestId('projection-image'))).toBe(32);
      await expect(projection.getByTestId('projection-value')).toHaveText(/\d/);
    }
    await app.screenshot({ path: testInfo.outputPath('nhwc-layer-browser.png') });
  });
});
