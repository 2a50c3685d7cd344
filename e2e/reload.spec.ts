import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { zfTestModel } from '../src-main/core/onnx/test-models.ts';
import { expect, SERVER_ONLY, test } from './fixtures.ts';
import { fillPath } from './support/file-browser.ts';
import { paths } from './support/env.ts';

/** The page's globals this spec reads (the e2e code is type-checked without the DOM library). */
interface PageGlobals {
  location: { hash: string; pathname: string };
  history: { replaceState(data: unknown, unused: string, url: string): void };
}


async function openModelAt(app: Page, dir: string, file: string): Promise<void> {
  await app.getByTestId('open-model').click();
  const dialog = app.getByTestId('browser');
  await fillPath(dialog, dir);
  await dialog.getByTestId('browser-go').click();
  await dialog.locator(`[data-testid="browser-entry"][data-name="${file}"]`).click();
  await expect(app.getByTestId('model-name')).toHaveText(file, { timeout: 60_000 });
}

/** The done count the Occlusion view's progress shows (−1 when it shows none). */
async function occlusionDone(app: Page): Promise<number> {
  const bar = app.getByTestId('occlusion-progress').locator('[data-done]');
  if ((await bar.count()) === 0) return -1;
  return Number(await bar.getAttribute('data-done'));
}

/** The steps done the Invariance view's progress shows (−1 when it shows none). */
async function sweepDone(app: Page): Promise<number> {
  const bar = app.getByTestId('inv-run-progress');
  if ((await bar.count()) === 0) return -1;
  return Number(await bar.getAttribute('data-done'));
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
      await fillPath(dialog, path.join(paths.models, 'alex-mini'));
      await dialog.getByTestId('browser-go').click();
      await dialog.locator('[data-testid="browser-entry"][data-name="alex-mini.onnx"]').click();
      await expect(second.getByTestId('model-name')).toHaveText('alex-mini.onnx');
      // The page that opened it says nothing of another window; the first page does.
      await expect(second.getByTestId('info').filter({ hasText: 'Another window' })).toHaveCount(0);
      await expect(app.getByTestId('model-name')).toHaveText('alex-mini.onnx');
      const info = app.getByTestId('info').filter({ hasText: 'Another window opened alex-mini.onnx' });
      await expect(info).toBeVisible();
      // The message takes its own band: it covers neither the image view nor the image strip.
      const toast = (await info.boundingBox())!;
      for (const id of ['image-view', 'image-strip']) {
        const b = (await app.getByTestId(id).boundingBox())!;
        const overlap = toast.x < b.x + b.width && b.x < toast.x + toast.width && toast.y < b.y + b.height && b.y < toast.y + toast.height;
        expect(overlap, `the message covers ${id}`).toBe(false);
      }
    } finally {
      await second.close();
      // Leave the server as the other specs expect it.
      await app.getByTestId('open-model').click();
      const dialog = app.getByTestId('browser');
      await fillPath(dialog, path.join(paths.models, 'zf-mini'));
      await dialog.getByTestId('browser-go').click();
      await dialog.locator('[data-testid="browser-entry"][data-name="zf-mini.onnx"]').click();
      await expect(app.getByTestId('model-name')).toHaveText('zf-mini.onnx');
    }
  });

  test('during an occlusion comes back to its progress and then its maps; the occluder settings survive', async ({ app }) => {
    test.setTimeout(180_000);
    // A 224×224 model makes the job long enough to reload in the middle: 66×66 positions (about 12 s here).
    const dir = mkdtempSync(path.join(tmpdir(), 'convscope-reload-'));
    writeFileSync(path.join(dir, 'zf224.onnx'), zfTestModel({ inputSize: 224, channels: 3, classes: 10, seed: 3 }));
    try {
      await openModelAt(app, dir, 'zf224.onnx');
      await app.getByTestId('view-occlusion').click();
      await expect(app.getByTestId('occlusion-image')).not.toBeEmpty();
      const image = await app.getByTestId('occlusion-image').textContent();
      await app.getByTestId('occlusion-size').fill('28');
      await app.getByTestId('occlusion-stride').fill('3');
      const startedAt = Date.now();
      await app.getByTestId('occlusion-run').click();
      await expect.poll(() => occlusionDone(app), { timeout: 60_000 }).toBeGreaterThan(0);
      await expect.poll(() => app.evaluate(() => (globalThis as unknown as PageGlobals).location.hash)).toMatch(/^#view=occlusion&i=0&image=.+&os=28&ot=3$/);
      const before = await occlusionDone(app);
      // Long enough before the reload that an elapsed time restarted by the reload would show.
      await app.waitForTimeout(Math.max(0, 4000 - (Date.now() - startedAt)));

      await app.reload();
      // The running-jobs strip counts the job's time from its real start, not from the reload.
      const elapsed = app.getByTestId('progress').getByTestId('job-elapsed');
      await expect(elapsed).toBeVisible();
      const shown = Number((await elapsed.textContent())!.trim().match(/^(\d+) s$/)?.[1]);
      expect(shown, 'elapsed seconds after the reload').toBeGreaterThanOrEqual((Date.now() - startedAt) / 1000 - 2);
      await expect(app.getByTestId('OcclusionView')).toBeVisible();
      await expect(app.getByTestId('occlusion-image')).toHaveText(image!);
      await expect(app.getByTestId('occlusion-size')).toHaveValue('28');
      await expect(app.getByTestId('occlusion-stride')).toHaveValue('3');
      // Re-attached: the job's progress, from where it had got to, still counting.
      await expect(app.getByTestId('occlusion-progress')).toBeVisible();
      await expect.poll(() => occlusionDone(app)).toBeGreaterThan(before);
      await expect(app.getByTestId('occlusion-summary')).toHaveAttribute('data-grid', '66x66', { timeout: 120_000 });
      await expect(app.getByTestId('occlusion-progress')).toHaveCount(0);
      await expect(app.getByTestId('occlusion-activity')).toHaveAttribute('data-rows', '66');
    } finally {
      await openModelAt(app, path.join(paths.models, 'zf-mini'), 'zf-mini.onnx');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('keeps the Invariance view\'s transform, range and layers', async ({ app }) => {
    await app.getByTestId('view-invariance').click();
    await app.getByTestId('inv-transform').selectOption('rotate');
    await app.getByTestId('inv-to').fill('90');
    await app.getByTestId('inv-steps').fill('7');
    const relu2 = app.getByTestId('inv-layers').locator(`input[data-id="${RELU2}"]`);
    const wasOn = await relu2.isChecked();
    await relu2.setChecked(!wasOn);
    await expect.poll(() => app.evaluate(() => (globalThis as unknown as PageGlobals).location.hash)).toMatch(/^#view=invariance&i=0&image=.+&it=rotate&r-rotate=0%2C90%2C7&il=/);

    await app.reload();
    await expect(app.getByTestId('inv-transform')).toHaveValue('rotate');
    await expect(app.getByTestId('inv-to')).toHaveValue('90');
    await expect(app.getByTestId('inv-steps')).toHaveValue('7');
    await expect(app.getByTestId('inv-layers').locator(`input[data-id="${RELU2}"]`)).toBeChecked({ checked: !wasOn });
  });

  test('during an invariance sweep comes back to its progress, the curves so far and then every curve; its settings survive', async ({ app }) => {
    test.setTimeout(240_000);
    // A 224×224 model makes the sweep long enough to reload in the middle: Fig. 5 over one image per
    // class is 10 × (120 + 16 + 71) steps (about 10 s here).
    const dir = mkdtempSync(path.join(tmpdir(), 'convscope-reload-'));
    writeFileSync(path.join(dir, 'zf224.onnx'), zfTestModel({ inputSize: 224, channels: 3, classes: 10, seed: 3 }));
    try {
      await openModelAt(app, dir, 'zf224.onnx');
      await app.getByTestId('view-invariance').click();
      await app.getByTestId('inv-transform').selectOption('rotate');
      await app.getByTestId('inv-steps').fill('72');
      await app.getByTestId('inv-source').locator('[data-value="per-class"]').click();
      await app.getByTestId('inv-per-class').fill('1');
      await app.getByTestId('inv-fig5').click();
      await expect.poll(() => sweepDone(app), { timeout: 60_000 }).toBeGreaterThan(0);
      await expect.poll(() => app.evaluate(() => (globalThis as unknown as PageGlobals).location.hash)).toMatch(/^#view=invariance&i=0&image=.+&it=rotate&r-rotate=0%2C350%2C72$/);
      const total = Number(await app.getByTestId('inv-run-progress').getAttribute('data-total'));
      expect(total).toBe(10 * (120 + 16 + 71));
      const before = await sweepDone(app);
      expect(before).toBeLessThan(total);

      await app.reload();
      await expect(app.getByTestId('InvarianceView')).toBeVisible();
      await expect(app.getByTestId('inv-transform')).toHaveValue('rotate');
      await expect(app.getByTestId('inv-steps')).toHaveValue('72');
      // Re-attached: the job's progress over the same total, from where it had got to, still counting.
      await expect(app.getByTestId('inv-progress')).toBeVisible();
      await expect(app.getByTestId('inv-run-progress')).toHaveAttribute('data-total', String(total));
      await expect.poll(() => sweepDone(app)).toBeGreaterThan(before);
      const columns = app.getByTestId('inv-column');
      await expect(columns).toHaveCount(3);
      expect(await columns.evaluateAll((els) => els.map((e) => e.getAttribute('data-transform')))).toEqual(['translate-y', 'scale', 'rotate']);
      // The curves done before the reload are back while it runs (the first column's images).
      await expect.poll(async () => Number(await columns.first().getAttribute('data-images'))).toBeGreaterThan(0);
      for (let i = 0; i < 3; i++) {
        await expect(columns.nth(i)).toHaveAttribute('data-status', 'done', { timeout: 180_000 });
        await expect(columns.nth(i)).toHaveAttribute('data-images', '10');
      }
      await expect(app.getByTestId('inv-progress')).toHaveCount(0);
      // Ten curves and their mean on every chart (the random model's classes name no sub-folder: distance charts only).
      await expect(app.locator('[data-testid="inv-chart"][data-kind="distance"]')).toHaveCount(6);
      expect(await app.locator('[data-testid="inv-chart"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-curves')))).toEqual(Array(6).fill('11'));
    } finally {
      await openModelAt(app, path.join(paths.models, 'zf-mini'), 'zf-mini.onnx');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('after a firing scan and "project all maps" finished, shows their results again (neither is in the address)', async ({ app }) => {
    await app.getByTestId('view-layers').click();
    const option = app.locator(`[data-testid="layer-option"][data-id="${RELU2}"]`);
    await option.click();
    await expect(app.getByTestId('map-grid')).toHaveAttribute('data-layer', RELU2);
    await app.getByTestId('project-all').click();
    const batch = app.getByTestId('batch');
    await expect(batch).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
    await expect(batch).toHaveAttribute('data-done', '64');
    await app.getByTestId('view-filters').click();
    const summary = app.getByTestId('spectra-summary-a');
    await expect(summary).toBeVisible();
    await app.getByTestId('scan-firing-a').click();
    await expect(summary).toContainText(/firing scanned on 300 images/, { timeout: 60_000 });

    await app.reload();
    await expect(app.getByTestId('FiltersView')).toBeVisible();
    await expect(summary).toContainText(/firing scanned on 300 images/);
    await app.getByTestId('view-layers').click();
    // The projections grid, as before the reload.
    await expect(app.locator('[data-testid="layer-option"][aria-selected="true"]')).toHaveAttribute('data-id', RELU2);
    await expect(batch).toHaveAttribute('data-status', 'done');
    await expect(batch).toHaveAttribute('data-done', '64');
    await expect(app.getByTestId('projection-grid').locator('[data-done="true"] img')).toHaveCount(64);
  });
});
