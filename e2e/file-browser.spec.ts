import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { expect, SERVER_ONLY, test } from './fixtures.ts';
import { fillPath } from './support/file-browser.ts';
import { paths } from './support/env.ts';

function entry(dialog: Locator, name: string): Locator {
  return dialog.locator(`[data-testid="browser-entry"][data-name="${name}"]`);
}

async function goTo(dialog: Locator, dir: string): Promise<void> {
  await fillPath(dialog, dir);
  await dialog.getByTestId('browser-go').click();
  await expect(dialog.getByTestId('browser-path')).toHaveValue(dir);
}

async function openModelAt(app: Page, dir: string, file: string): Promise<void> {
  await app.getByTestId('open-model').click();
  const dialog = app.getByTestId('browser');
  await goTo(dialog, dir);
  await entry(dialog, file).click();
  await expect(dialog).toBeHidden();
  await expect(app.getByTestId('model-name')).toHaveText(file, { timeout: 60_000 });
}

test.describe('the server-side file browser', () => {
  test.skip(({ shell }) => shell !== 'web', SERVER_ONLY);

  test('navigates to another model and opens it', async ({ app }) => {
    await expect(app.getByTestId('model-name')).toHaveText('zf-mini.onnx');
    await app.getByTestId('open-model').click();
    const dialog = app.getByTestId('browser');
    await expect(dialog).toBeVisible();
    // It starts in the open model's folder.
    const pathField = dialog.getByTestId('browser-path');
    await expect(pathField).toHaveValue(path.join(paths.models, 'zf-mini'));
    await expect(entry(dialog, 'zf-mini.onnx')).toBeVisible();

    await dialog.getByTestId('browser-up').click();
    await expect(pathField).toHaveValue(paths.models);
    await entry(dialog, 'alex-mini').click();
    await expect(pathField).toHaveValue(path.join(paths.models, 'alex-mini'));
    await entry(dialog, 'alex-mini.onnx').click();
    await expect(dialog).toBeHidden();

    await expect(app.getByTestId('model-name')).toHaveText('alex-mini.onnx', { timeout: 60_000 });
    await expect(app.getByTestId('model-path')).toHaveText(path.join(paths.models, 'alex-mini', 'alex-mini.onnx'));
    await expect(app.getByTestId('layer-table').getByTestId('layer-row').first()).toBeVisible();
    // The selected image is predicted again by the new model.
    await expect(app.getByTestId('predictions')).toHaveAttribute('data-loading', 'false');
    await expect(app.getByTestId('prediction')).toHaveCount(5);

    // Leave the server as the other specs expect it.
    await openModelAt(app, path.join(paths.models, 'zf-mini'), 'zf-mini.onnx');
  });

  test('opening a folder without images reports it and the app stays usable', async ({ app }) => {
    const empty = mkdtempSync(path.join(tmpdir(), 'convscope-empty-'));
    try {
      await app.getByTestId('open-folder').click();
      const dialog = app.getByTestId('browser');
      await expect(dialog).toBeVisible();
      await goTo(dialog, empty);
      await dialog.getByTestId('browser-choose').click();
      await expect(dialog).toBeHidden();

      const error = app.getByTestId('error').filter({ hasText: empty });
      await expect(error).toBeVisible();
      await expect(error).toContainText(/no images/i);

      // Still usable: the previous folder stays open and images can be selected.
      await expect(app.getByTestId('folder-name')).toHaveText('fashion-mnist');
      const thumb = app.locator('[data-testid="thumb"][data-index="1"]');
      await thumb.click();
      await expect(app.getByTestId('selected-image')).toHaveAttribute('data-path', (await thumb.getAttribute('data-path'))!);
      await expect(app.getByTestId('prediction')).toHaveCount(5);

      await error.getByTestId('dismiss').click();
      await expect(error).toBeHidden();
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  test('a missing folder typed into the path field is reported inside the dialog', async ({ app }) => {
    await app.getByTestId('open-folder').click();
    const dialog = app.getByTestId('browser');
    const missing = path.join(tmpdir(), 'convscope-does-not-exist-' + Date.now());
    await fillPath(dialog, missing);
    await dialog.getByTestId('browser-go').click();
    await expect(dialog.getByTestId('browser-error')).toContainText(missing);
    // What was typed is kept, to be corrected.
    await expect(dialog.getByTestId('browser-path')).toHaveValue(missing);
    await app.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
  });
});
