import path from 'node:path';
import { expect, SERVER_ONLY, test } from './fixtures.ts';
import { paths } from './support/env.ts';

/** The page's globals this spec reads (the e2e code is type-checked without the DOM library). */
interface PageGlobals {
  location: { hash: string; pathname: string };
  history: { replaceState(data: unknown, unused: string, url: string): void };
}


// zf-mini's layers (see `npx convscope info --model resources/models/zf-mini/zf-mini.onnx`).
const RELU2 = '/relu2/Relu_output_0';

test.describe('a reload', () => {
  test.skip(({ shell }) => shell !== 'web', SERVER_ONLY);

  test('comes back to the view, image, layer and map it showed; the address names them', async ({ app }) => {
    const strip = app.getByTestId('image-strip');
    await strip.locator('[data-testid="thumb"][data-index="4"]').click();
    await expect(strip.locator('[data-testid="thumb"][data-index="4"]')).toHaveAttribute('aria-selected', 'true');
    await app.getByTestId('view-layers').click();
    const option = app.locator(`[data-testid="layer-option"][data-id="${RELU2}"]`);
    await option.click();
    await expect(app.getByTestId('map-grid')).toHaveAttribute('data-layer', RELU2);
    const map = app.getByTestId('map-grid').locator('[data-testid="feature-map"][data-channel="7"]');
    await map.click();
    await expect(app.getByTestId('projection-panel')).toHaveAttribute('data-channel', '7');
    await expect.poll(() => app.evaluate(() => (globalThis as unknown as PageGlobals).location.hash)).toMatch(/^#view=layers&i=4&image=.+&layer=%2Frelu2%2FRelu_output_0&map=7$/);

    await app.reload();
    await expect(app.getByTestId('layer-browser')).toBeVisible();
    await expect(app.locator('[data-testid="layer-option"][aria-selected="true"]')).toHaveAttribute('data-id', RELU2);
    await expect(app.getByTestId('map-grid').locator('[data-testid="feature-map"][data-channel="7"]')).toHaveAttribute('aria-selected', 'true');
    await expect(app.getByTestId('projection-panel')).toHaveAttribute('data-channel', '7');
    await expect(app.getByTestId('projection-panel')).toHaveAttribute('data-loading', 'false');
    await expect(strip.locator('[data-testid="thumb"][data-index="4"]')).toHaveAttribute('aria-selected', 'true');

    // A place the folder no longer has (another image at that index) is not forced on the page.
    await app.evaluate(() => {
      const g = globalThis as unknown as PageGlobals;
      g.history.replaceState(null, '', g.location.pathname + '#view=topk&i=4&image=nope.png');
    });
    await app.reload();
    await expect(app.getByTestId('view-topk')).toHaveAttribute('aria-selected', 'true');
    await expect(strip.locator('[data-testid="thumb"][data-index="0"]')).toHaveAttribute('aria-selected', 'true');
  });

  test('a second tab shares the session: when it opens another model, the first one says so and shows it', async ({ app, server }) => {
    await expect(app.getByTestId('model-name')).toHaveText('zf-mini.onnx');
    const second = await app.context().newPage();
    try {
      await second.goto(server.url);
      await expect(second.getByTestId('app')).toHaveAttribute('data-ready', 'true');
      await second.getByTestId('open-model').click();
      const dialog = second.getByTestId('browser');
      await dialog.getByTestId('browser-path').fill(path.join(paths.models, 'alex-mini'));
      await dialog.getByTestId('browser-go').click();
      await dialog.locator('[data-testid="browser-entry"][data-name="alex-mini.onnx"]').click();
      await expect(second.getByTestId('model-name')).toHaveText('alex-mini.onnx');
      // The page that opened it says nothing of another window; the first page does.
      await expect(second.getByTestId('info').filter({ hasText: 'Another window' })).toHaveCount(0);
      await expect(app.getByTestId('model-name')).toHaveText('alex-mini.onnx');
      await expect(app.getByTestId('info').filter({ hasText: 'Another window opened alex-mini.onnx' })).toBeVisible();
    } finally {
      await second.close();
      // Leave the server as the other specs expect it.
      await app.getByTestId('open-model').click();
      const dialog = app.getByTestId('browser');
      await dialog.getByTestId('browser-path').fill(path.join(paths.models, 'zf-mini'));
      await dialog.getByTestId('browser-go').click();
      await dialog.locator('[data-testid="browser-entry"][data-name="zf-mini.onnx"]').click();
      await expect(app.getByTestId('model-name')).toHaveText('zf-mini.onnx');
    }
  });
});
