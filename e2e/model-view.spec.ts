// The Model view against the server on the demo (zf-mini, the 300 labelled samples): the layer graph,
// coloured by each metric (started from the view where not computed yet), and a click through to a layer.
import { expect, test } from './fixtures.ts';

const METRICS = ['neverFires', 'flagged', 'probe', 'invariance', 'faithfulness'] as const;

test.describe('the Model view', () => {
  test('draws the graph, colours it by each metric and opens a layer elsewhere', async ({ app }, testInfo) => {
    test.setTimeout(240_000);
    const rows = app.getByTestId('layer-table').getByTestId('layer-row');
    await expect(rows.first()).toBeVisible();
    const layers = await rows.count();
    const tab = app.getByRole('tab').first();
    await expect(tab).toHaveText('Model');
    await tab.click();
    const graph = app.getByTestId('model-graph');
    await expect(graph).toBeVisible();
    const nodes = graph.locator('g.node');
    // One node per layer plus the image input, in the same order as the layer table.
    const n = await nodes.count();
    expect(n).toBeGreaterThan(10);
    expect(n).toBe(layers + 1);
    await expect(nodes.nth(1)).toHaveAttribute('data-layer', '/conv1/Conv_output_0');

    for (const name of METRICS) {
      await app.getByTestId(`colour-${name}`).locator('input').check();
      const legend = app.getByTestId('metric-legend');
      await expect(legend).toHaveAttribute('data-metric', name);
      const run = app.getByTestId('metric-run');
      if (await run.isVisible()) {
        // Not computed yet: grey nodes saying so, and a button that runs it.
        await expect(graph.locator('g.node rect[fill="#cfcfcf"]').first()).toBeVisible();
        await run.click();
        await expect(app.getByTestId('metric-missing')).toHaveCount(0, { timeout: 180_000 });
      }
      await expect(app.getByTestId('metric-source')).not.toContainText('nothing computed yet');
      // Every conv layer carries a colour from the metric's scale now (no grey conv nodes).
      const conv1 = graph.locator('g.node[data-layer="/conv1/Conv_output_0"] rect');
      if (name !== 'invariance') await expect(conv1).toHaveAttribute('fill', /^hsl\(/);
      const coloured = await graph.locator('g.node rect[fill^="hsl("]').count();
      expect(coloured, name).toBeGreaterThan(0);
    }

    await app.screenshot({ path: testInfo.outputPath('model-view.png') });

    // Click a node: it is selected, and opens in Filters, Top-9 and Layers.
    await graph.locator('g.node[data-layer="/conv2/Conv_output_0"]').click();
    await expect(app.getByTestId('selected-layer')).toHaveAttribute('data-layer', '/conv2/Conv_output_0');
    await app.getByTestId('open-filters').click();
    await expect(app.getByTestId('view-filters')).toHaveAttribute('aria-selected', 'true');
    await tab.click();
    await app.getByTestId('open-topk').click();
    await expect(app.getByTestId('view-topk')).toHaveAttribute('aria-selected', 'true');
    await tab.click();
    await app.getByTestId('open-layers').click();
    await expect(app.getByTestId('view-layers')).toHaveAttribute('aria-selected', 'true');
    await expect(app.locator('[data-testid="layer-option"][aria-selected="true"]')).toHaveAttribute('data-id', '/conv2/Conv_output_0');
  });

  test('exports the report, which opens from disk with every section and every image', async ({ app }, testInfo) => {
    test.setTimeout(240_000);
    await app.getByRole('tab').first().click();
    await expect(app.getByTestId('model-graph')).toBeVisible();
    const download = app.waitForEvent('download', { timeout: 200_000 });
    await app.getByTestId('export-report').click();
    await expect(app.getByTestId('export-report')).toHaveText(/Building the report/);
    const dl = await download;
    expect(dl.suggestedFilename()).toBe('zf-mini-report.html');
    const file = testInfo.outputPath('zf-mini-report.html');
    await dl.saveAs(file);

    // Opened from disk (no server), in a page that records every request it makes.
    const page = await app.context().newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${file}`);
    for (const s of ['summary', 'graph', 'spectra', 'never-fires', 'topk', 'invariance', 'occlusion', 'probe', 'provenance']) {
      await expect(page.locator(`section[data-section="${s}"]`), s).toHaveCount(1);
    }
    const images = page.locator('img');
    expect(await images.count()).toBeGreaterThan(50);
    const widths: number[] = await images.evaluateAll((els) => Promise.all(els.map(async (e) => {
      const img = e as unknown as { decode(): Promise<void>; naturalWidth: number };
      await img.decode().catch(() => {});
      return img.naturalWidth;
    })));
    expect(widths.filter((w) => !(w > 0))).toEqual([]);
    // Nothing but the file itself and its data URLs was requested.
    expect(requests.filter((u) => !u.startsWith('data:') && !u.startsWith('file://'))).toEqual([]);
    await page.screenshot({ path: testInfo.outputPath('report.png'), fullPage: false });
    await page.locator('#invariance').scrollIntoViewIfNeeded();
    await page.screenshot({ path: testInfo.outputPath('report-invariance.png') });
    await page.close();
  });
});
