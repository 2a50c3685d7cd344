// The Probes view against the server on the demo (zf-mini, the 300 labelled samples): run the
// linear probes, see the chart with the model's accuracy and chance, and export CSV, JSON, PNG, SVG.
import { readFile } from 'node:fs/promises';
import { expect, test } from './fixtures.ts';
import { savedPng, savedSvg, SINGLE_PNG_EXTENSION } from './support/png.ts';

test.describe('the Probes view', () => {
  test('runs linear probes on the sample folder and exports the chart and the numbers', async ({ app }, testInfo) => {
    await app.getByTestId('view-probes').click();
    await expect(app.getByTestId('ProbeView')).toBeVisible();
    await app.getByTestId('probe-folds').fill('3');
    await app.getByTestId('probe-run').click();
    // zf-mini: conv1…conv5 and the hidden fc6, fc7.
    await expect(app.getByTestId('probe-chart')).toHaveAttribute('data-layers', '7', { timeout: 60_000 });
    await expect(app.getByTestId('probe-summary')).toContainText('300 images · 10 classes · 3 folds');
    await expect(app.getByTestId('probe-summary')).toContainText('chance 10.0%');
    await expect(app.getByTestId('probe-caption')).toContainText('ridge classifier');
    const rows = app.getByTestId('probe-row');
    await expect(rows).toHaveCount(7);
    for (const a of await rows.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-accuracy'))))) {
      expect(a).toBeGreaterThan(0.1);
      expect(a).toBeLessThanOrEqual(1);
    }
    await expect(rows.first()).toHaveAttribute('data-layer', '/conv1/Conv_output_0');

    const csv = app.waitForEvent('download');
    await app.getByTestId('probe-export-csv').click();
    const text = await readFile((await (await csv).path())!, 'utf8');
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(1 + 7);
    expect(lines[0]).toBe('layer,tensor,features,accuracy,std,fold_1,fold_2,fold_3,model_accuracy,chance');

    const json = app.waitForEvent('download');
    await app.getByTestId('probe-export-json').click();
    const j = JSON.parse(await readFile((await (await json).path())!, 'utf8'));
    expect(j).toMatchObject({ images: 300, classes: 10, folds: 3, lambda: 1, chance: 0.1 });
    expect(j.layers).toHaveLength(7);

    const [dl] = await Promise.all([app.waitForEvent('download'), app.getByTestId('probe-export-png').click()]);
    await dl.saveAs(testInfo.outputPath('probes-export.png'));
    await app.screenshot({ path: testInfo.outputPath('probes-view.png') });
    const png = await savedPng(dl);
    expect(png.name).toMatch(SINGLE_PNG_EXTENSION);
    expect(png.name).toMatch(/^probes-zf-mini/);
    expect(png.width).toBeGreaterThan(720);
    expect(png.text.Title).toBe('Linear probe accuracy by layer: zf-mini.onnx, 300 images, 10 classes');
    const [svgDl] = await Promise.all([app.waitForEvent('download'), app.getByTestId('probe-export-svg').click()]);
    const svg = await savedSvg(svgDl);
    expect(svg.name).toBe(png.name.replace(/\.png$/, '.svg'));
    expect(svg.title).toBe(png.text.Title);
    expect(svg.pictures).toBe(1);
  });
});
