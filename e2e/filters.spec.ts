// The filter spectra view on the demo model (zf-mini, with the Fashion-MNIST samples open): the grid
// of filters and spectra with flag badges, the charts, sorting and the flag filter, the firing
// scan, the exports, and the side-by-side compare with alex-mini (the paper's fig. 6 (c) vs (b)).
import { readFile } from 'node:fs/promises';
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { savedPng, savedSvg, SINGLE_PNG_EXTENSION } from './support/png.ts';

/** Painted (non-transparent) pixels of a canvas. */
async function paintedPixels(canvas: Locator): Promise<number> {
  return canvas.evaluate((el) => {
    // The e2e tsconfig has no DOM types: the canvas as far as this needs it.
    const c = el as unknown as { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
    return n;
  });
}

function summaryCounts(text: string): { filters: number; dead: number; dominant: number; aliasing: number } {
  const m = text.match(/(\d+) filters: (\d+) dead, (\d+) dominant, (\d+) alias at stride/);
  expect(m, `a summary in "${text}"`).toBeTruthy();
  return { filters: Number(m![1]), dead: Number(m![2]), dominant: Number(m![3]), aliasing: Number(m![4]) };
}

async function openFilters(app: Page): Promise<void> {
  await app.getByTestId('view-filters').click();
  await expect(app.getByTestId('FiltersView')).toBeVisible();
  await expect(app.getByTestId('filter-grid-a')).toBeVisible();
}

test.describe('the filter spectra view', () => {
  test('shows the first conv layer’s filters beside their spectra, the summary and the charts; sorts, filters by flag, scans firing and exports', async ({ app }, testInfo) => {
    await openFilters(app);
    const grid = app.getByTestId('filter-grid-a');
    await expect(grid).toHaveAttribute('data-model', 'zf-mini.onnx');
    await expect(grid).toHaveAttribute('data-layer', '/conv1/Conv_output_0');
    const summary = app.getByTestId('spectra-summary-a');
    await expect(summary).toContainText('alias at stride 2');
    const s = summaryCounts((await summary.textContent()) ?? '');
    expect(s.filters).toBe(32);
    await expect(grid.getByTestId('filter-cell')).toHaveCount(32);
    const firstCell = grid.getByTestId('filter-cell').first();
    for (const c of await firstCell.locator('canvas').all()) expect(await paintedPixels(c)).toBeGreaterThan(0);
    await expect(grid.locator('[data-testid="flag-badge"]:text-is("aliasing")')).toHaveCount(s.aliasing);

    // Charts: both drawn.
    const charts = app.getByTestId('spectra-charts');
    for (const id of ['profile-chart', 'centroid-chart']) expect(await paintedPixels(charts.getByTestId(id).locator('canvas'))).toBeGreaterThan(1000);

    // Select a filter: the profile follows it.
    const cell = grid.locator('[data-testid="filter-cell"][data-index="5"]');
    await cell.click();
    await expect(cell).toHaveAttribute('aria-selected', 'true');
    await expect(charts).toContainText('filter 5');

    // Sort by aliasing: the flagged ones come first; the flag filter leaves exactly those.
    await app.getByTestId('spectra-sort').selectOption('aliasingFraction');
    const cells = grid.getByTestId('filter-cell');
    for (let i = 0; i < s.aliasing; i++) await expect(cells.nth(i)).toHaveAttribute('data-flags', /aliasing/);
    await app.getByTestId('flag-filter').locator('[data-value="aliasing"]').click();
    await expect(cells).toHaveCount(s.aliasing);
    await app.getByTestId('flag-filter').locator('[data-value="all"]').click();
    await expect(cells).toHaveCount(32);

    // Firing over the open samples folder: the summary names the scan; dead badges match its count.
    await app.getByTestId('scan-firing-a').click();
    await expect(summary).toContainText(/firing scanned on 300 images/, { timeout: 60_000 });
    const after = summaryCounts((await summary.textContent()) ?? '');
    await expect(grid.locator('[data-testid="flag-badge"]:text-is("dead")')).toHaveCount(after.dead);
    expect(after.dead).toBeGreaterThanOrEqual(s.dead);

    // Exports: the table as CSV (a row per filter), the chart panel as PNG.
    const [csv] = await Promise.all([app.waitForEvent('download'), app.getByTestId('export-csv-a').click()]);
    expect(csv.suggestedFilename()).toBe('zf-mini-conv1-spectra.csv');
    const text = await readFile((await csv.path())!, 'utf8');
    const lines = text.trim().split('\n');
    expect(lines[0]).toMatch(/^model,layer,filter,rms,centroid,low,mid,high,aliasingFraction,firingRate,flags,reasons$/);
    expect(lines).toHaveLength(33);
    const [dl] = await Promise.all([app.waitForEvent('download'), app.getByTestId('export-png').click()]);
    await dl.saveAs(testInfo.outputPath('spectra-export.png'));
    const png = await savedPng(dl);
    expect(png.name).toMatch(SINGLE_PNG_EXTENSION);
    const chart = await app.getByTestId('profile-chart').boundingBox();
    expect(png.width).toBeGreaterThan(chart!.width);
    expect(png.height).toBeGreaterThan(2 * chart!.height);
    expect(png.text.Title).toMatch(/^Filter spectra of \S*conv1/);
    expect(png.text.Description).toContain('N = 32 is the FFT size');
    expect(png.text.Description).toMatch(/model zf-mini\.onnx · layer \S*conv1/);
    const [svgDl] = await Promise.all([app.waitForEvent('download'), app.getByTestId('export-svg').click()]);
    const svg = await savedSvg(svgDl);
    expect(svg.name).toBe(png.name.replace(/\.png$/, '.svg'));
    expect(svg.desc).toBe(png.text.Description);
    expect(svg.pictures).toBe(2);
    await expect(app.getByTestId('spectra-caption-a')).toContainText('N = 32 is the FFT size');
  });

  test('compares two models side by side: alex-mini by default beside zf-mini', async ({ app }, testInfo) => {
    await openFilters(app);
    await app.getByTestId('compare-toggle').check();
    const b = app.getByTestId('filter-grid-b');
    await expect(b).toHaveAttribute('data-model', 'alex-mini.onnx');
    await expect(b.getByTestId('filter-cell')).toHaveCount(32);
    await expect(app.getByTestId('spectra-summary-b')).toContainText(/32 filters: \d+ dead, \d+ dominant, \d+ alias at stride 4/);
    await expect(app.getByTestId('spectra-panel-b')).toContainText('11×11 kernel, stride 4×4, N = 64');
    await expect(app.getByTestId('filter-grid-a')).toHaveAttribute('data-model', 'zf-mini.onnx');
    // The profile chart now carries both models' means.
    await expect(app.getByTestId('profile-chart')).toBeVisible();
    await expect(app.getByTestId('spectra-caption-b')).toContainText('32 filters of 11×11. N = 64 is the FFT size');
    await app.getByTestId('spectra-charts').screenshot({ path: testInfo.outputPath('compare-charts.png') });
    // Another layer of the compared model.
    await app.getByTestId('spectra-layer-b').selectOption('/conv2/Conv_output_0');
    await expect(b).toHaveAttribute('data-layer', '/conv2/Conv_output_0');
    await expect(b.getByTestId('filter-cell')).toHaveCount(64);
    // A bad path is an error naming the file; the first model stays.
    await app.getByTestId('compare-path').fill('/nonexistent/model.onnx');
    await app.getByTestId('compare-path').press('Enter');
    await expect(app.getByTestId('spectra-error-b')).toContainText('/nonexistent/model.onnx: no such file');
    await expect(app.getByTestId('filter-grid-a').getByTestId('filter-cell')).toHaveCount(32);
  });
});
