// The Correspondence view against the server (zf-mini and its samples): boxes drawn by dragging on
// two images and nudged with the keyboard, the masked input on hover, a run and its table; the
// shipped parts file loaded, run and exported (CSV, JSON, PNG and SVG figures).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { expect, SERVER_ONLY, test } from './fixtures.ts';
import { repoRoot } from './support/env.ts';
import { savedPng, savedSvg } from './support/png.ts';

const PARTS = path.join(repoRoot, 'resources/samples/parts.json');

/** Drags over `canvas` from model-input pixel (y0, x0) to (y1, x1) of a 64×64 input. */
async function drawBox(page: Page, canvas: Locator, [y0, x0]: [number, number], [y1, x1]: [number, number]) {
  const b = (await canvas.boundingBox())!;
  const s = b.width / 64;
  await page.mouse.move(b.x + (x0 + 0.5) * s, b.y + (y0 + 0.5) * s);
  await page.mouse.down();
  await page.mouse.move(b.x + ((x0 + x1) / 2 + 0.5) * s, b.y + ((y0 + y1) / 2 + 0.5) * s);
  await page.mouse.move(b.x + (x1 + 0.5) * s, b.y + (y1 + 0.5) * s);
  await page.mouse.up();
}

test.describe('the Correspondence view', () => {
  test('boxes drawn on two images, nudged, previewed masked; a run shows the table with the random row', async ({ app }) => {
    await app.getByTestId('view-correspondence').click();
    await expect(app.getByTestId('CorrespondenceView')).toBeVisible();
    await expect(app.getByTestId('corr-run')).toBeDisabled();
    await app.getByTestId('corr-add-selected').click();
    await expect(app.getByTestId('corr-editor')).toHaveCount(1);
    // The next image of the strip (arrow keys move the selection outside inputs).
    await app.getByTestId('thumb').nth(1).click();
    await app.getByTestId('corr-add-selected').click();
    const editors = app.getByTestId('corr-editor');
    await expect(editors).toHaveCount(2);
    await expect(app.getByTestId('corr-run')).toBeEnabled();

    await drawBox(app, editors.nth(0).getByTestId('part-box-canvas'), [8, 10], [20, 30]);
    await expect(editors.nth(0)).toHaveAttribute('data-box', '8,10,13,21');
    await drawBox(app, editors.nth(1).getByTestId('part-box-canvas'), [40, 44], [30, 20]);
    await expect(editors.nth(1)).toHaveAttribute('data-box', '30,20,11,25');
    // Keys: arrows move by 1, Shift by 4, Alt resizes; the strip's selection stays where it is.
    const position = await app.getByTestId('strip-position').textContent();
    await editors.nth(0).getByTestId('part-box-canvas').focus();
    await app.keyboard.press('ArrowRight');
    await app.keyboard.press('Shift+ArrowDown');
    await app.keyboard.press('Alt+ArrowLeft');
    await expect(editors.nth(0)).toHaveAttribute('data-box', '12,11,13,20');
    await expect(app.getByTestId('strip-position')).toHaveText(position!);
    // Hover: the masked input, as the model gets it.
    await editors.nth(1).getByTestId('part-box-canvas').hover();
    await expect(editors.nth(1).getByTestId('part-masked')).toBeVisible();

    await app.getByTestId('corr-part-name').first().fill('top left');
    await app.getByTestId('corr-draws').fill('3');
    await app.getByTestId('corr-run').click();
    const table = app.getByTestId('corr-table');
    await expect(table).toBeVisible();
    await expect(app.getByTestId('corr-row')).toHaveCount(1);
    await expect(app.getByTestId('corr-row').first()).toContainText('top left');
    await expect(app.getByTestId('corr-row').first()).toContainText(/0\.\d{3}/);
    await expect(app.getByTestId('corr-random-row')).toContainText(/random ×3/);
    await expect(table.locator('thead th')).toHaveText(['part', 'n', 'Δ relu5', 'Δ relu7']);
  });

  test('the shipped parts file: loaded, run and exported as CSV, JSON and a PNG/SVG figure', async ({ app, shell }, testInfo) => {
    test.skip(shell !== 'web', SERVER_ONLY);
    await app.getByTestId('view-correspondence').click();
    await app.getByTestId('corr-file').setInputFiles(PARTS);
    await expect(app.getByTestId('corr-part-name')).toHaveCount(4);
    await expect(app.getByTestId('corr-part-name').first()).toHaveValue('heel of ankle boots');
    await expect(app.getByTestId('corr-editor')).toHaveCount(5);
    await expect(app.getByTestId('corr-editor').first()).toHaveAttribute('data-box', '39,52,12,12');
    await app.getByTestId('corr-run').click();
    await expect(app.getByTestId('corr-row')).toHaveCount(4);
    await expect(app.getByTestId('corr-random-row')).toContainText('random ×10');
    await expect(app.getByTestId('corr-chart')).toBeVisible();

    const [csvDl] = await Promise.all([app.waitForEvent('download'), app.getByTestId('corr-export-csv').click()]);
    const csv = (await readFile((await csvDl.path())!, 'utf8')).trim().split('\n');
    expect(csv).toHaveLength(1 + 4 + 1);
    expect(csv[1]).toMatch(/^heel of ankle boots,5,0\.\d+,/);
    const [jsonDl] = await Promise.all([app.waitForEvent('download'), app.getByTestId('corr-export-json').click()]);
    const json = JSON.parse(await readFile((await jsonDl.path())!, 'utf8'));
    expect(json.layers).toEqual(['/relu5/Relu_output_0', '/relu7/Relu_output_0']);
    expect(json.random).toMatchObject({ draws: 10, seed: 0 });
    expect(json.parts).toHaveLength(4);

    const [pngDl] = await Promise.all([app.waitForEvent('download'), app.getByTestId('corr-export-png').click()]);
    await pngDl.saveAs(testInfo.outputPath('correspondence.png'));
    const png = await savedPng(pngDl);
    expect(png.name).toMatch(/^correspondence-.*\.png$/);
    expect(png.text.Title).toMatch(/^Correspondence of object parts across images/);
    expect(png.text.Description).toContain('heel of ankle boots (5 images): relu5 Δ 0.');
    const [svgDl] = await Promise.all([app.waitForEvent('download'), app.getByTestId('corr-export-svg').click()]);
    const svg = await savedSvg(svgDl);
    expect(svg.title).toBe(png.text.Title);
    expect(svg.pictures).toBe(1);
    await app.screenshot({ path: testInfo.outputPath('correspondence-view.png') });

    // Saving gives the same parts back (paths now relative to the open folder).
    const [partsDl] = await Promise.all([app.waitForEvent('download'), app.getByTestId('corr-save').click()]);
    const saved = JSON.parse(await readFile((await partsDl.path())!, 'utf8'));
    expect(saved.parts[0].boxes[0]).toEqual({ image: 'ankle-boot/00000.png', box: [39, 52, 12, 12] });
    // One click loads the same demo.
    await app.getByTestId('corr-add-part').click();
    await app.getByTestId('corr-load-sample').click();
    await expect(app.getByTestId('corr-part-name')).toHaveCount(4);
  });
});
