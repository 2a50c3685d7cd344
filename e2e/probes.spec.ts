// The Probes view against the server on the demo (zf-mini, the 300 labelled samples): run the
// linear probes, see the chart with the model's accuracy and chance, and export CSV, JSON, PNG, SVG.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, SERVER_ONLY, test } from './fixtures.ts';
import { paths } from './support/env.ts';
import { recordStages, stagesSeen } from './support/stage-recorder.ts';
import { fillPath } from './support/file-browser.ts';
import { savedPng, savedSvg, SINGLE_PNG_EXTENSION } from './support/png.ts';

test.describe('the Probes view', () => {
  test('runs linear probes on the sample folder and exports the chart and the numbers', async ({ app }, testInfo) => {
    await app.getByTestId('view-probes').click();
    await expect(app.getByTestId('ProbeView')).toBeVisible();
    await app.getByTestId('probe-folds').fill('3');
    await recordStages(app, 'probe-progress');
    await app.getByTestId('probe-run').click();
    // zf-mini: conv1…conv5 and the hidden fc6, fc7.
    await expect(app.getByTestId('probe-chart')).toHaveAttribute('data-layers', '7', { timeout: 60_000 });
    // Two numbered stages, each with its own count: the count going back to 0 is the next stage.
    const seen = await stagesSeen(app, 'probe-progress');
    expect(seen.some((l) => /^Stage 1\/2: features \| \d+ \/ 300 images$/.test(l)), seen.join('\n')).toBe(true);
    expect(seen.some((l) => /^Stage 2\/2: fits \(layer × fold\) \| \d+ \/ 21 fits$/.test(l)), seen.join('\n')).toBe(true);
    expect(seen.findIndex((l) => l.startsWith('Stage 2/2'))).toBeGreaterThan(seen.findIndex((l) => l.startsWith('Stage 1/2')));
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
    // The table is as wide as its columns need, not the view; its numbers are right-aligned, in tabular figures.
    const table = app.getByTestId('probe-table');
    const tableBox = (await table.boundingBox())!;
    const viewBox = (await table.locator('..').boundingBox())!;
    expect(tableBox.width).toBeLessThan(0.8 * viewBox.width);
    for (const cell of await rows.first().locator('td').all()) {
      const style = await cell.evaluate((el) => {
        const s = (globalThis as unknown as { getComputedStyle(e: unknown): { textAlign: string; fontVariantNumeric: string } }).getComputedStyle(el);
        return { align: s.textAlign, figures: s.fontVariantNumeric, text: (el as unknown as { textContent: string }).textContent };
      });
      if (/^[\d.,]+%?$/.test(style.text)) expect(style, 'a number cell').toMatchObject({ align: 'right', figures: 'tabular-nums' });
    }

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

  test('probes the checkpoints open in the Training view: a layers × checkpoints heatmap, hover, exports', async ({ app, shell }, testInfo) => {
    test.skip(shell !== 'web', SERVER_ONLY);
    await app.getByTestId('view-training').click();
    const dialog = app.getByTestId('browser');
    await app.getByTestId('training-add-folder').click();
    await fillPath(dialog, path.join(paths.models, 'zf-mini', 'checkpoints'));
    await dialog.getByTestId('browser-go').click();
    await expect(dialog).toHaveAttribute('data-loading', 'false');
    await dialog.getByTestId('browser-choose').click();
    await expect(app.getByTestId('training-checkpoints')).toHaveAttribute('data-count', '4');

    await app.getByTestId('view-probes').click();
    await expect(app.getByTestId('probe-checkpoints-open')).toContainText('4 checkpoints');
    await app.getByTestId('probe-folds').fill('3');
    await app.getByTestId('probe-checkpoints-run').click();
    const heatmap = app.getByTestId('probe-heatmap');
    await expect(heatmap).toHaveAttribute('data-checkpoints', '4', { timeout: 90_000 });
    await expect(heatmap).toHaveAttribute('data-layers', '7');
    const cells = app.getByTestId('probe-cell');
    await expect(cells).toHaveCount(28);
    const values = await cells.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-accuracy'))));
    for (const a of values) expect(a).toBeGreaterThan(0.1);
    await expect(heatmap.getByRole('columnheader')).toHaveText(['', 'epoch 1', 'epoch 2', 'epoch 5', 'epoch 10']);
    await expect(app.getByTestId('probe-heatmap-caption')).toContainText('4 training checkpoints');
    await cells.nth(4 * 6 + 3).hover();
    await expect(app.getByTestId('probe-heatmap-hover')).toContainText('/fc7/Gemm_output_0 at epoch-10.onnx (epoch 10)');

    const csv = app.waitForEvent('download');
    await app.getByTestId('probe-heatmap-csv').click();
    const lines = (await readFile((await (await csv).path())!, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1 + 28);
    expect(lines[0]).toBe('checkpoint,epoch,layer,tensor,features,accuracy,std,model_accuracy,chance');
    expect(lines[1]).toMatch(/^epoch-01\.onnx,1,\/conv1\/Conv_output_0,/);
    const json = app.waitForEvent('download');
    await app.getByTestId('probe-heatmap-json').click();
    const j = JSON.parse(await readFile((await (await json).path())!, 'utf8'));
    expect(j.checkpoints.map((c: { epoch: number }) => c.epoch)).toEqual([1, 2, 5, 10]);
    expect(j.checkpoints[3].layers[6].accuracy).toBe(values[4 * 6 + 3]);

    const [dl] = await Promise.all([app.waitForEvent('download'), app.getByTestId('probe-heatmap-png').click()]);
    await dl.saveAs(testInfo.outputPath('probes-heatmap.png'));
    await app.screenshot({ path: testInfo.outputPath('probes-heatmap-view.png') });
    const png = await savedPng(dl);
    expect(png.name).toMatch(/^probes-checkpoints/);
    expect(png.text.Title).toBe('Linear probe accuracy by layer and checkpoint: 300 images, 10 classes');
    const [svgDl] = await Promise.all([app.waitForEvent('download'), app.getByTestId('probe-heatmap-svg').click()]);
    const svg = await savedSvg(svgDl);
    expect(svg.title).toBe(png.text.Title);
  });
});
