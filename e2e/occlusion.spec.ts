// The Occlusion view against the server: run occlusion on the selected sample image with a chosen
// occluder, see the three maps (with class names on the top-1 map) and the faithfulness check.
import { readFile } from 'node:fs/promises';
import { expect, test } from './fixtures.ts';
import { savedPng, savedSvg, SINGLE_PNG_EXTENSION } from './support/png.ts';

test.describe('the Occlusion view', () => {
  test('runs occlusion on an image and shows the three maps and the faithfulness check', async ({ app }, testInfo) => {
    await app.getByTestId('view-occlusion').click();
    await expect(app.getByTestId('OcclusionView')).toBeVisible();
    await expect(app.getByTestId('occlusion-image')).not.toBeEmpty();
    await app.getByTestId('occlusion-size').fill('16');
    await app.getByTestId('occlusion-stride').fill('8');
    await app.getByTestId('occlusion-run').click();
    // 64×64 input: corners 0, 8, …, 48 → 7×7 positions.
    await expect(app.getByTestId('occlusion-summary')).toHaveAttribute('data-grid', '7x7');
    await expect(app.getByTestId('occlusion-summary')).toContainText('true class');
    for (const id of ['occlusion-activity', 'occlusion-pclass', 'occlusion-top1']) {
      await expect(app.getByTestId(id)).toHaveAttribute('data-rows', '7');
    }
    // The legend names classes (at most nine with their own colour, the rest "other").
    const legend = app.getByTestId('occlusion-top1-legend').locator('li');
    expect(await legend.count()).toBeGreaterThan(0);
    expect(await legend.count()).toBeLessThanOrEqual(10);
    await expect(legend.first()).toHaveText(/\S+ .*%/);
    await expect(legend.first()).not.toHaveText(/^other/);
    // Each map says what it shows; the scales show their real range.
    await expect(app.getByTestId('occlusion-activity-caption')).toContainText('Σₚ a[c,p]');
    await expect(app.getByTestId('occlusion-activity-caption')).toContainText('Unoccluded total');
    await expect(app.getByTestId('occlusion-pclass-range')).toBeVisible();
    await expect(app.getByTestId('occlusion-faithfulness')).toHaveAttribute('data-ready', 'true');
    await expect(app.getByTestId('faithfulness-drops')).toContainText('projected');
    // CSV export: a row per position.
    const csv = app.waitForEvent('download');
    await app.getByTestId('occlusion-export-csv').click();
    const text = await readFile((await (await csv).path())!, 'utf8');
    expect(text.trim().split('\n')).toHaveLength(1 + 49);
    // PNG export: one figure bigger than the three bare 240-px maps (title, legend, captions).
    const [dl] = await Promise.all([app.waitForEvent('download'), app.getByTestId('occlusion-export-png').click()]);
    await dl.saveAs(testInfo.outputPath('occlusion-export.png'));
    await app.screenshot({ path: testInfo.outputPath('occlusion-view.png') });
    const png = await savedPng(dl);
    expect(png.name).toMatch(SINGLE_PNG_EXTENSION);
    expect(png.name).toMatch(/^occlusion-/);
    expect(png.width).toBeGreaterThan(3 * 240);
    expect(png.height).toBeGreaterThan(240 + 100);
    expect(png.text.Title).toMatch(/^Occlusion sensitivity of /);
    expect(png.text.Description).toMatch(/^model zf-mini\.onnx · layer [^·]+ · image \S+ · \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    // The same figure as SVG: title and caption as text, the three maps embedded.
    const [svgDl] = await Promise.all([app.waitForEvent('download'), app.getByTestId('occlusion-export-svg').click()]);
    await svgDl.saveAs(testInfo.outputPath('occlusion-export.svg'));
    const svg = await savedSvg(svgDl);
    expect(svg.name).toBe(png.name.replace(/\.png$/, '.svg'));
    expect(svg.title).toBe(png.text.Title);
    expect(svg.desc).toBe(png.text.Description);
    expect(svg.pictures).toBe(3);
    expect(svg.texts).toBeGreaterThan(8);
    await expect(app.getByTestId('faithfulness-caption')).toContainText('a[c,p*]');
  });
});
