import { expect, test } from './fixtures.ts';

test.describe('the demo model and images', () => {
  test('shows the model name, its execution provider and the layer table', async ({ app }) => {
    await expect(app.getByTestId('model-name')).toHaveText('zf-mini.onnx');
    await expect(app.getByTestId('provider')).toHaveText(/^(CPU|CUDA)$/);
    await expect(app.getByTestId('provider-detail')).toContainText(/CPU|CUDA/);
    const rows = app.getByTestId('layer-table').getByTestId('layer-row');
    await expect(rows.first()).toBeVisible();
    expect(await rows.count()).toBeGreaterThan(3);
    await expect(rows.filter({ hasText: 'Conv' }).first()).toBeVisible();
    await expect(app.getByTestId('num-classes')).toContainText('10');
  });

  test('shows thumbnails; selecting one shows the image and its top-5; arrow keys move the selection', async ({ app }) => {
    const strip = app.getByTestId('image-strip');
    const thumbs = strip.getByTestId('thumb');
    await expect(thumbs.first().locator('img')).toHaveAttribute('src', /^blob:/);
    // Virtualised: a 300-image folder renders only what is near the viewport.
    expect(await thumbs.count()).toBeLessThan(60);

    const third = strip.locator('[data-testid="thumb"][data-index="2"]');
    await third.click();
    await expect(third).toHaveAttribute('aria-selected', 'true');
    const path = await third.getAttribute('data-path');
    expect(path).toBeTruthy();

    const image = app.getByTestId('selected-image');
    await expect(image).toHaveAttribute('data-path', path!);
    await expect(image).toHaveAttribute('src', /^blob:/);
    await expect.poll(() => image.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
    await expect(app.getByTestId('true-class')).toContainText(path!.split('/')[0]);

    const predictions = app.getByTestId('predictions');
    await expect(predictions).toHaveAttribute('data-loading', 'false');
    const rows = predictions.getByTestId('prediction');
    await expect(rows).toHaveCount(5);
    await expect(rows.first().getByTestId('prediction-label')).not.toBeEmpty();
    await expect(rows.first().getByTestId('prediction-probability')).toHaveText(/^(>|<)?\d+(\.\d+)?%$/);
    await expect(predictions.getByTestId('verdict')).toBeVisible();

    await app.keyboard.press('ArrowRight');
    const fourth = strip.locator('[data-testid="thumb"][data-index="3"]');
    await expect(fourth).toHaveAttribute('aria-selected', 'true');
    await expect(third).toHaveAttribute('aria-selected', 'false');
    await expect(image).toHaveAttribute('data-path', (await fourth.getAttribute('data-path'))!);
    await app.keyboard.press('ArrowLeft');
    await expect(third).toHaveAttribute('aria-selected', 'true');
    await expect(image).toHaveAttribute('data-path', path!);
  });
});

test.describe('the view tabs', () => {
  test('arrow keys, Home and End on a focused tab move between tabs, not the image', async ({ app }) => {
    const strip = app.getByTestId('image-strip');
    const third = strip.locator('[data-testid="thumb"][data-index="2"]');
    await third.click();
    await expect(third).toHaveAttribute('aria-selected', 'true');
    const imageTab = app.getByTestId('view-image');
    await imageTab.focus();
    await expect(imageTab).toHaveAttribute('tabindex', '0');
    await app.keyboard.press('ArrowRight');
    const layersTab = app.getByTestId('view-layers');
    await expect(layersTab).toHaveAttribute('aria-selected', 'true');
    await expect(layersTab).toBeFocused();
    await expect(imageTab).toHaveAttribute('tabindex', '-1');
    // End: the last tab, whichever view that is; arrows wrap around both ways to the first (Model).
    const lastTab = app.getByRole('tab').last();
    const firstTab = app.getByRole('tab').first();
    await expect(firstTab).toHaveAttribute('data-testid', 'view-model');
    await app.keyboard.press('End');
    await expect(lastTab).toHaveAttribute('aria-selected', 'true');
    await app.keyboard.press('ArrowRight');
    await expect(firstTab).toHaveAttribute('aria-selected', 'true');
    await expect(firstTab).toBeFocused();
    await app.keyboard.press('ArrowLeft');
    await expect(lastTab).toHaveAttribute('aria-selected', 'true');
    await app.keyboard.press('Home');
    await expect(firstTab).toHaveAttribute('aria-selected', 'true');
    await app.keyboard.press('ArrowRight');
    await expect(imageTab).toHaveAttribute('aria-selected', 'true');
    // The image selection did not move.
    await expect(third).toHaveAttribute('aria-selected', 'true');
  });
});

test.describe('the preprocessing editor', () => {
  test('shows the core’s validation error beside the field and keeps what was typed', async ({ app }) => {
    await app.getByTestId('model-panel').locator('summary', { hasText: 'Preprocessing' }).click();
    const editor = app.getByTestId('preprocessing-editor');
    const mean = editor.getByTestId('pp-mean');
    const original = await mean.inputValue();
    // zf-mini takes one gray channel; three means is a mistake the core reports (nothing is written).
    await mean.fill('0.5, 0.5, 0.5');
    await editor.getByTestId('pp-save').click();
    const error = editor.getByTestId('preprocessing-error');
    await expect(error).toContainText(/mean/i);
    await expect(mean).toHaveValue('0.5, 0.5, 0.5');
    await expect(mean).toHaveAttribute('aria-invalid', 'true');

    await editor.getByRole('button', { name: 'Revert' }).click();
    await expect(mean).toHaveValue(original);
    await expect(error).toHaveCount(0);
  });
});
