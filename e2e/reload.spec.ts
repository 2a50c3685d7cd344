import { expect, SERVER_ONLY, test } from './fixtures.ts';

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
});
