// A MobileNetV3 (Hardswish exported as x·HardSigmoid(x), squeeze-excitation gates; issue 15) in the
// app: the layer table says which rule each recognised node gets, and the layer browser projects
// through them. The model is the committed fixture (make-modern-fixtures.py), opened from a copy so
// that its first-open sidecar lands outside the repository.
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, SERVER_ONLY, test } from './fixtures.ts';
import { fillPath } from './support/file-browser.ts';
import { paths, repoRoot } from './support/env.ts';

const MODEL = 'mobilenet-v3.onnx';
const HARDSWISH = '/features/features.0/features.0.2/Mul_output_0';
const GATE = '/features/features.9/block/block.2/Mul_output_0'; // an SE gate's Mul, 2×2 maps at 64×64

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

test.describe('modern activations and squeeze-excitation gates', () => {
  test('the layer table names each rule, and the layer browser projects through gates and Hardswish', async ({ app, shell }) => {
    test.skip(shell !== 'web', SERVER_ONLY);
    const dir = await mkdtemp(path.join(tmpdir(), 'convscope-mnv3-'));
    await copyFile(path.join(repoRoot, 'src-main/core/deconv/fixtures', MODEL), path.join(dir, MODEL));
    try {
      await openModelAt(app, dir, MODEL);
      const rows = app.getByTestId('layer-table').getByTestId('layer-row');
      const rectified = rows.locator('td.op[data-reverse="rectify"]');
      const gated = rows.locator('td.op[data-reverse="gate"]');
      // torchvision's MobileNetV3-small: 9 SE gates, and 19 Hardswish (28 HardSigmoid nodes, 9 of them the gates').
      await expect(gated).toHaveCount(9);
      await expect(rectified).toHaveCount(19);
      await expect(gated.first()).toHaveText('Mul× gate');
      await expect(gated.first()).toHaveAttribute('title', /squeeze-excitation gate \(HardSigmoid of GlobalAveragePool\(x\)\): projections multiply/);
      await expect(rectified.first()).toHaveText('HardSwishrectify');

      await app.getByTestId('view-layers').click();
      await expect(app.getByTestId('layer-browser')).toBeVisible();
      for (const id of [GATE, HARDSWISH]) {
        const option = app.locator(`[data-testid="layer-option"][data-id="${id}"]`);
        await option.click();
        await expect(app.getByTestId('map-grid')).toHaveAttribute('data-layer', id);
        await expect(app.getByTestId('maps')).toHaveAttribute('data-loading', 'false');
        await app.getByTestId('sort-mode').locator('[data-value="max"]').click();
        await app.getByTestId('map-grid').getByTestId('feature-map').first().click();
        const panel = app.getByTestId('projection-panel');
        await expect(panel).toHaveAttribute('data-loading', 'false');
        await expect(panel.getByTestId('projection-error')).toHaveCount(0);
        await expect(panel.getByTestId('projection-image')).toHaveAttribute('src', /^blob:/);
        await expect(panel.getByTestId('projection-position')).toHaveText(/^\(\d+, \d+\)$/);
      }
    } finally {
      // Leave the server as the other specs expect it.
      await openModelAt(app, path.join(paths.models, 'zf-mini'), 'zf-mini.onnx');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
