import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, SERVER_ONLY, test } from './fixtures.ts';
import { paths } from './support/env.ts';
import { openFolderAt } from './support/open.ts';
import { savedPng, SINGLE_PNG_EXTENSION } from './support/png.ts';

// zf-mini's default invariance layers: the first conv layer and the last hidden fc layer, after their ReLUs.
const RELU1 = '/relu1/Relu_output_0';
const RELU7 = '/relu7/Relu_output_0';

async function openView(app: Page): Promise<void> {
  await app.getByTestId('view-invariance').click();
  await expect(app.getByTestId('InvarianceView')).toBeVisible();
  await expect(app.getByTestId('inv-current')).toHaveText(/\.png$/);
}

async function naturalWidth(app: Page, testid: string): Promise<number> {
  return app.getByTestId(testid).evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth);
}

test.describe('the invariance view', () => {
  test('runs a translation sweep on the demo model and shows the distance and P(true class) charts; hover shows the transformed input', async ({ app }, testInfo) => {
    await openView(app);
    await expect(app.getByTestId('inv-transform')).toHaveValue('translate-y');
    // Defaults: the paper's ±60 px at 224 → ±17 px at 64, in 1 px steps; layers 1 and 7.
    await expect(app.getByTestId('inv-from')).toHaveValue('-17');
    await expect(app.getByTestId('inv-steps')).toHaveValue('35');
    await expect(app.locator(`[data-testid="inv-layers"] input[data-id="${RELU1}"]`)).toBeChecked();
    await expect(app.locator(`[data-testid="inv-layers"] input[data-id="${RELU7}"]`)).toBeChecked();
    await app.getByTestId('inv-from').fill('-6');
    await app.getByTestId('inv-to').fill('6');
    await app.getByTestId('inv-steps').fill('7');
    await app.getByTestId('inv-run').click();

    const column = app.getByTestId('inv-column');
    await expect(column).toHaveCount(1);
    await expect(column).toHaveAttribute('data-status', 'done');
    await expect(column).toHaveAttribute('data-images', '1');
    const distance = app.locator('[data-testid="inv-chart"][data-kind="distance"]');
    await expect(distance).toHaveCount(2);
    await expect(distance.nth(0)).toHaveAttribute('data-layer', RELU1);
    await expect(distance.nth(1)).toHaveAttribute('data-layer', RELU7);
    const ptrue = app.locator('[data-testid="inv-chart"][data-kind="ptrue"]');
    await expect(ptrue).toHaveCount(1);
    await expect(ptrue).toHaveAttribute('data-points', '7');
    await expect(ptrue.locator('canvas')).toBeVisible();
    await expect(distance.nth(0).locator('canvas')).toBeVisible();
    // The folder names the image's true class, and the legend says which the P row is of.
    const current = (await app.getByTestId('inv-current').textContent())!.trim();
    await expect(app.getByTestId('inv-legend').locator('li')).toHaveText(new RegExp(`^\\s*${path.basename(current, '.png')} \\((?!class \\d)[^)]+\\)$`));

    // Hovering the P(true class) chart picks the nearest point: its transformed input and top-1.
    const box = (await ptrue.locator('canvas').boundingBox())!;
    await app.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    await app.mouse.move(box.x + box.width * 0.35, box.y + box.height / 2);
    await expect(app.getByTestId('inv-hover')).toHaveAttribute('data-active', 'true');
    await expect.poll(() => naturalWidth(app, 'inv-hover-image')).toBe(64);
    await expect(app.getByTestId('inv-hover-top1')).not.toBeEmpty();
    await expect(app.getByTestId('inv-hover-theta')).toHaveText(/^θ = -?\d+$/);

    // A selection is built from the current image.
    await app.getByTestId('inv-source').locator('[data-value="selection"]').click();
    await expect(app.getByTestId('inv-selection')).toContainText('Empty.');
    await app.getByTestId('inv-add-current').click();
    await app.getByTestId('inv-add-current').click();
    await expect(app.getByTestId('inv-selection').locator('li')).toHaveCount(1);
    await expect(app.getByTestId('inv-selection')).toContainText('00000');

    await app.getByTestId('inv-scale').locator('[data-value="normalized"]').click();
    await expect(app.getByTestId('inv-figure')).toContainText('normalised distance');
    const shot = testInfo.outputPath('invariance.png');
    await app.screenshot({ path: shot });
    await testInfo.attach('invariance', { path: shot, contentType: 'image/png' });
  });

  test('Fig. 5 in one click over one image per class, with CSV and PNG export, and shift consistency', async ({ app, shell }, testInfo) => {
    await openView(app);
    await app.getByTestId('inv-source').locator('[data-value="per-class"]').click();
    await app.getByTestId('inv-per-class').fill('1');
    await app.getByTestId('inv-fig5').click();
    const columns = app.getByTestId('inv-column');
    await expect(columns).toHaveCount(3);
    for (const [i, t] of ['translate-y', 'scale', 'rotate'].entries()) {
      await expect(columns.nth(i)).toHaveAttribute('data-transform', t);
      await expect(columns.nth(i)).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
      await expect(columns.nth(i)).toHaveAttribute('data-images', '10');
    }
    // Ten images and their mean.
    await expect(app.locator('[data-testid="inv-chart"][data-kind="ptrue"]').first()).toHaveAttribute('data-curves', '11');
    await expect(app.locator('[data-testid="inv-chart"]')).toHaveCount(9);
    // One legend names each image's curve and the mean.
    await expect(app.getByTestId('inv-legend').locator('li')).toHaveCount(11);
    await expect(app.getByTestId('inv-legend').locator('li').last()).toContainText('mean of the 10 images');
    const shot = testInfo.outputPath('fig5.png');
    await app.screenshot({ path: shot });
    await testInfo.attach('fig5', { path: shot, contentType: 'image/png' });

    if (shell === 'web') {
      const [csv] = await Promise.all([app.waitForEvent('download'), app.getByTestId('inv-export-csv').click()]);
      expect(csv.suggestedFilename()).toBe('invariance-translate-y-scale-rotate.csv');
      const lines = (await readFile(await csv.path(), 'utf8')).trim().split('\n');
      expect(lines[0]).toBe(`transform,image,true_class,true_from,theta,d ${RELU1},d_norm ${RELU1},d ${RELU7},d_norm ${RELU7},p_true,top1`);
      expect(lines).toHaveLength(1 + 10 * (35 + 17 + 36));
      const [dl] = await Promise.all([app.waitForEvent('download'), app.getByTestId('inv-export-png').click()]);
      await dl.saveAs(testInfo.outputPath('invariance-export.png'));
      const png = await savedPng(dl);
      expect(png.name).toMatch(SINGLE_PNG_EXTENSION);
      const chart = await app.locator('[data-testid="inv-chart"]').first().boundingBox();
      expect(png.width).toBeGreaterThan(3 * chart!.width);
      expect(png.height).toBeGreaterThan(3 * chart!.height);
      expect(png.text.Title).toMatch(/^Invariance \(Fig\. 5\): /);
      expect(png.text.Description).toContain('d(θ) = ‖φ_L(T_θ x) − φ_L(x)‖₂');
      expect(png.text.Description).toMatch(/model \S+\.onnx · layer /);
    }

    await app.getByTestId('inv-consistency').locator('..').locator('input').first().fill('1');
    await app.getByTestId('inv-consistency-run').click();
    await expect(app.getByTestId('inv-consistency')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
    await expect(app.getByTestId('inv-consistency-value')).toHaveText(/^\d+(\.\d)?%$/);
    await expect(app.getByTestId('inv-consistency')).toContainText('of 300 pairs agree');
  });

  test('without class sub-folders the P row is not available, and the legend names no class', async ({ app, shell }) => {
    test.skip(shell !== 'web', SERVER_ONLY);
    const flat = mkdtempSync(path.join(tmpdir(), 'convscope-inv-flat-'));
    try {
      const boots = path.join(paths.samples, 'ankle-boot');
      for (const f of readdirSync(boots).slice(0, 2)) copyFileSync(path.join(boots, f), path.join(flat, f));
      await openFolderAt(app, flat);
      await openView(app);
      await app.getByTestId('inv-steps').fill('3');
      await app.getByTestId('inv-run').click();
      await expect(app.getByTestId('inv-column')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
      await expect(app.getByTestId('inv-ptrue-na')).toHaveText('P(true class): not available (the folder has no class sub-folders)');
      // Without a true class the core measured P of each image's own top-1; that is not drawn, so not named.
      const current = (await app.getByTestId('inv-current').textContent())!.trim();
      await expect(app.getByTestId('inv-legend').locator('li')).toHaveText(path.basename(current, '.png'));
    } finally {
      await openFolderAt(app, paths.samples);
      rmSync(flat, { recursive: true, force: true });
    }
  });
});
