// The Training view against the server (Fig. 4): add the demo checkpoints (a folder through the file
// browser) and the final model (a file), show the evolution grid of a layer, hover a cell, export
// the figure (PNG and SVG) and the JSON.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, SERVER_ONLY, test } from './fixtures.ts';
import { paths } from './support/env.ts';
import { recordStages, stagesSeen } from './support/stage-recorder.ts';
import { fillPath } from './support/file-browser.ts';
import { savedPng, savedSvg, SINGLE_PNG_EXTENSION } from './support/png.ts';

const ZF = path.join(paths.models, 'zf-mini');

test.describe('the Training view', () => {
  test.skip(({ shell }) => shell !== 'web', SERVER_ONLY);

  test('opens the demo checkpoints, shows the evolution grid with accuracies and jumps, and exports it', async ({ app }, testInfo) => {
    await app.getByTestId('view-training').click();
    await expect(app.getByTestId('TrainingView')).toBeVisible();
    const dialog = app.getByTestId('browser');

    await app.getByTestId('training-add-folder').click();
    await expect(dialog).toContainText('Add a folder of checkpoints');
    await fillPath(dialog, path.join(ZF, 'checkpoints'));
    await dialog.getByTestId('browser-go').click();
    await expect(dialog.getByTestId('browser-path')).toHaveValue(path.join(ZF, 'checkpoints'));
    await expect(dialog).toHaveAttribute('data-loading', 'false');
    await dialog.getByTestId('browser-choose').click();
    await expect(dialog).toBeHidden();
    await expect(app.getByTestId('training-checkpoints')).toHaveAttribute('data-count', '4');

    await app.getByTestId('training-add-file').click();
    await fillPath(dialog, ZF);
    await dialog.getByTestId('browser-go').click();
    await expect(dialog.getByTestId('browser-path')).toHaveValue(ZF);
    await dialog.locator('[data-testid="browser-entry"][data-name="zf-mini.onnx"]').click();
    await expect(dialog).toBeHidden();
    await expect(app.getByTestId('training-checkpoints')).toHaveAttribute('data-count', '5');
    await expect(app.getByTestId('training-checkpoint')).toHaveText([/epoch-01\.onnx/, /epoch-02\.onnx/, /epoch-05\.onnx/, /epoch-10\.onnx/, /zf-mini\.onnx\s+no epoch/]);

    await app.getByTestId('training-layer').selectOption('/conv2/Conv_output_0');
    await app.getByTestId('training-maps').fill('4');
    await recordStages(app, 'training-progress');
    await app.getByTestId('training-run').click();
    const grid = app.getByTestId('training-grid');
    await expect(grid).toHaveAttribute('data-rows', '4', { timeout: 120_000 });
    await expect(grid).toHaveAttribute('data-cols', '5');
    await expect(app.getByTestId('training-cell')).toHaveCount(20);
    // Two numbered stages: the five checkpoints opened, then their 5 × 300 images.
    const seen = await stagesSeen(app, 'training-progress');
    expect(seen.some((l) => /^Stage 1\/2: opening checkpoints \| \d \/ 5 checkpoints$/.test(l)), seen.join('\n')).toBe(true);
    expect(seen.some((l) => /^Stage 2\/2: scanning \| [\d,]+ \/ 1,500 images$/.test(l)), seen.join('\n')).toBe(true);
    expect(seen.findIndex((l) => l.startsWith('Stage 2/2'))).toBeGreaterThan(seen.findIndex((l) => l.startsWith('Stage 1/2')));
    // Accuracies on the 300 labelled samples, as train.py measured them (reference.json).
    const ref = JSON.parse(await readFile(path.join(ZF, 'reference.json'), 'utf8'));
    const want = [...['epoch-01', 'epoch-02', 'epoch-05', 'epoch-10'].map((k) => ref.checkpoints[k].samplesAccuracy), ref.samplesAccuracy];
    const shown = await app.getByTestId('training-accuracy').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-accuracy'))));
    shown.forEach((a, i) => expect(a).toBeCloseTo(want[i], 9));
    // A jump is marked exactly where a row's top image differs from the previous column's.
    const cells = await app.getByTestId('training-cell').evaluateAll((els) => els.map((e) => [e.getAttribute('data-image'), e.getAttribute('data-jump')]));
    cells.forEach(([image, jump], k) => expect(jump).toBe(String(k % 5 > 0 && image !== cells[k - 1][0])));
    await app.getByTestId('training-cell').nth(6).hover();
    await expect(app.getByTestId('training-hover')).toContainText(cells[6][0]!);
    await app.screenshot({ path: testInfo.outputPath('training-view.png') });

    const [dl] = await Promise.all([app.waitForEvent('download'), app.getByTestId('training-export-png').click()]);
    await dl.saveAs(testInfo.outputPath('training-export.png'));
    const png = await savedPng(dl);
    expect(png.name).toMatch(SINGLE_PNG_EXTENSION);
    expect(png.name).toMatch(/^evolution-/);
    expect(png.width).toBeGreaterThan(5 * 96);
    expect(png.height).toBeGreaterThan(4 * 96);
    expect(png.text.Title).toBe('Feature evolution of conv2/Conv over 5 checkpoints');
    expect(png.text.Description).toContain('Accuracy on the folder: epoch 1 82.33 %');
    const [svgDl] = await Promise.all([app.waitForEvent('download'), app.getByTestId('training-export-svg').click()]);
    const svg = await savedSvg(svgDl);
    expect(svg.pictures).toBe(20);
    expect(svg.title).toBe(png.text.Title);

    const [jsonDl] = await Promise.all([app.waitForEvent('download'), app.getByTestId('training-export-json').click()]);
    const json = JSON.parse(await readFile((await jsonDl.path())!, 'utf8'));
    expect(json.checkpoints.map((c: { epoch: number | null }) => c.epoch)).toEqual([1, 2, 5, 10, null]);
    expect(json.maps).toHaveLength(4);
    expect(json.maps[0].entries.map((e: { image: string }) => e.image)).toEqual(cells.slice(0, 5).map(([image]) => image));
  });
});
