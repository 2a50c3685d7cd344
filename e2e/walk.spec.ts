// Issue 14's walk: every view of the app at 1440×900 on a real-size model built here (the paper's
// full-width ZF net at 224×224×3, ≈250 MB of seeded random weights) with a small folder of 224×224
// colour images in class sub-folders, also built here. For each long job — opening the model, a
// layer's maps, a projection, "Project all maps", the Top-9 scan, spectra and the firing scan, an
// invariance sweep, correspondence, linear probes, occlusion — its progress must move within 2 s of the click that started it
// (its count above 0, or its result already on screen; the 2 s grow with load per core where other
// work shares the machine, see moveLimit), and then its result shows. Jobs known to miss it for a
// reason in the core are measured and reported, not failed on (KNOWN_LATE). A reload in the
// middle of an occlusion comes back to the view, model, folder, image, layer and occluder settings
// and re-attaches to the running job. Every PNG export is checked as a PNG (signature, decodes, one
// extension) carrying its caption. Screenshots of every view are attached to the report and copied
// to $CONVSCOPE_E2E_SHOTS (default: <tmp>/walk-shots) for a person to look at.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page, TestInfo } from '@playwright/test';
import { zfFullWidthModel } from '../src-main/core/onnx/test-models.ts';
import { expect, SERVER_ONLY, test } from './fixtures.ts';
import { paths } from './support/env.ts';
import { describeWatch, firstMove, readWatch, startWatch, waitWatch, type WatchReport, type WatchSpec } from './support/job-watch.ts';
import { fillPath } from './support/file-browser.ts';
import { browseTo, openFolderAt, openModelAt } from './support/open.ts';
import { checkOtherExport, checkPngExport, shot, SIZE, writeShapeFolder, type Caption } from './support/walk-checks.ts';

const MODEL = 'zf.onnx';
/** Issue 14: a job's progress moves within 2 s of starting it. */
const MOVES_WITHIN_MS = 2000;

/**
 * The 2 s on a machine whose cores other work shares: a job gets about cores/load of the CPU it
 * would have alone, so the limit grows by load per core (1-minute load average) where that is
 * above 1, and the report says by how much. On a machine running this spec alone it is 2 s.
 */
function moveLimit(): { ms: number; note: string } {
  const cores = availableParallelism();
  const load = loadavg()[0];
  const factor = Math.max(1, load / cores);
  return { ms: MOVES_WITHIN_MS * factor, note: factor > 1 ? `limit 2 s × ${factor.toFixed(1)} (load ${load.toFixed(1)} on ${cores} cores)` : 'limit 2 s' };
}

// The e2e tsconfig has no DOM types: what the in-page checks read.
interface PageImage {
  complete: boolean;
  naturalWidth: number;
}
interface PageGlobals {
  location: { hash: string };
}

const hash = (app: Page) => app.evaluate(() => (globalThis as unknown as PageGlobals).location.hash);

/**
 * Jobs whose first count comes later than 2 s because of how the core starts them: measured and
 * reported (console, the report's annotations) but not failed on; their progress must still show
 * within 2 s. Empty since the copies analyses run of a model read its weights from the file by
 * reference (onnx/weights-by-reference.ts); an entry added here must say why and be removed with its cause.
 */
const KNOWN_LATE: Record<string, string> = {};

// One walk, a test per view, in order: the server's session (model and folder) carries from one to
// the next; each test has a fresh page, as after opening the app again.
test.describe.configure({ mode: 'serial', timeout: 240_000 });

let dir = '';
let modelDir = '';
let imagesDir = '';
let imageCount = 0;
const lines: string[] = [];
/** The browser and server the walk ran in, once it started (web shell only). */
let walked: { browser: Browser; url: string } | null = null;

test.describe('a walk through every view on a real-size model', () => {
  test.skip(({ shell }) => shell !== 'web', SERVER_ONLY);

  test.beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'convscope-walk-'));
    modelDir = path.join(dir, 'model');
    imagesDir = path.join(dir, 'shapes');
  });

  test.beforeEach(async ({ app }) => {
    await app.setViewportSize({ width: 1440, height: 900 });
  });

  test.afterAll(async () => {
    if (lines.length) console.log(`[e2e] walk on ${MODEL} (${SIZE}×${SIZE}×3):\n  ${lines.join('\n  ')}`);
    // Leave the server as the other specs expect it (through the walk's own browser and server:
    // asking for the fixtures here would start a shell the skipped tests never needed).
    if (walked) {
      const context = await walked.browser.newContext({ viewport: { width: 1440, height: 900 } });
      try {
        const page = await context.newPage();
        await page.goto(walked.url);
        await expect(page.getByTestId('app')).toHaveAttribute('data-ready', 'true');
        await openModelAt(page, path.join(paths.models, 'zf-mini'), 'zf-mini.onnx');
        await openFolderAt(page, paths.samples);
      } finally {
        await context.close();
      }
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Checks that a watched job showed its progress, and moved, within 2 s of its start (a known-late one: reported only). */
  function checkMoved(name: string, r: WatchReport, limit: { ms: number; note: string }): void {
    const moved = firstMove(r);
    const known = KNOWN_LATE[name];
    const late = moved === null || moved > MOVES_WITHIN_MS;
    const line = `${describeWatch(name, r)} · ${late ? '2 s NOT MET' : '2 s met'}${late ? ` (${known ? `known: ${known}` : limit.note})` : ''}`;
    lines.push(line);
    test.info().annotations.push({ type: 'job', description: line });
    const shown = r.shownAt ?? r.readyAt;
    expect(shown, `${name}: its progress or its result showed`).not.toBeNull();
    expect(shown!, `${name}: its progress or its result showed within 2 s (${limit.note})`).toBeLessThanOrEqual(limit.ms);
    if (known) return;
    expect(moved, `${name}: progress moved (or the result showed) — ${describeWatch(name, r)}`).not.toBeNull();
    expect(moved!, `${name}: progress moved within 2 s of starting (${limit.note}) — ${describeWatch(name, r)}`).toBeLessThanOrEqual(limit.ms);
  }

  /** Starts a job by a click, waits for its result, and checks that it moved within 2 s. */
  async function job(app: Page, name: string, spec: WatchSpec, timeout = 120_000): Promise<WatchReport> {
    // The watch clicks inside the page, at once: what it clicks must be there first (a listing that
    // is still being written would otherwise make it miss).
    if (spec.click) await app.locator(spec.click).first().waitFor({ state: 'visible', timeout: 30_000 });
    const limit = moveLimit();
    await startWatch(app, name, spec);
    const r = await waitWatch(app, name, timeout);
    checkMoved(name, r, limit);
    return r;
  }

  async function checkExport(app: Page, testInfo: TestInfo, button: string, name: string, want: Caption): Promise<void> {
    lines.push(await checkPngExport(app, testInfo, button, name, want));
  }

  test('opens the model with stages that move within 2 s, then the folder; the Image view', async ({ app, server }, testInfo) => {
    walked = { browser: app.context().browser()!, url: server.url };
    mkdirSync(modelDir, { recursive: true });
    writeFileSync(path.join(modelDir, MODEL), zfFullWidthModel(SIZE));
    imageCount = await writeShapeFolder(imagesDir);
    await browseTo(app, 'model', modelDir);
    const open = await job(app, 'open model', {
      click: `[data-testid="browser-entry"][data-name="${MODEL}"]`,
      indicator: { selector: `[data-testid="progress"][data-label="Opening ${MODEL}"] [role="progressbar"]`, attr: 'aria-valuenow' },
      ready: { selector: '[data-testid="model-name"]', text: MODEL },
    });
    // A 250 MB model takes longer than the strip's 300 ms grace: its row was on screen.
    expect(open.shownAt, 'the opening progress showed').not.toBeNull();
    await expect(app.locator(`[data-testid="progress"][data-label="Opening ${MODEL}"]`)).toHaveCount(0);

    await openFolderAt(app, imagesDir);
    await expect(app.getByTestId('folder-count')).toHaveText(`${imageCount} images · 3 classes`);
    const third = app.locator('[data-testid="thumb"][data-index="2"]');
    await third.click();
    await expect(third).toHaveAttribute('aria-selected', 'true');
    const image = app.getByTestId('selected-image');
    await expect(image).toHaveAttribute('data-path', (await third.getAttribute('data-path'))!);
    await expect.poll(() => image.evaluate((el) => (el as unknown as PageImage).naturalWidth)).toBe(SIZE);
    await expect(app.getByTestId('predictions')).toHaveAttribute('data-loading', 'false');
    await expect(app.getByTestId('prediction')).toHaveCount(5);
    await expect(app.getByTestId('pp-assumed')).toBeVisible(); // no sidecar: assumed, and said so
    await shot(app, testInfo, '01-image');
  });

  test('Layers: conv5’s maps and a projection show; its PNG export is captioned', async ({ app }, testInfo) => {
    await expect(app.getByTestId('model-name')).toHaveText(MODEL);
    await job(app, 'layer maps', {
      click: '[data-testid="view-layers"]',
      indicator: { selector: '[data-testid="maps"][data-loading="true"]' },
      ready: { selector: '[data-testid="maps"][data-loading="false"] [data-testid="map-grid"][data-drawn="true"]' },
    });
    const grid = app.getByTestId('map-grid');
    await expect(grid).toHaveAttribute('data-layer', 'relu5');
    await expect(grid).toHaveAttribute('data-count', '256');
    await app.getByTestId('sort-mode').locator('[data-value="max"]').click();
    const channel = (await grid.getByTestId('feature-map').first().getAttribute('data-channel'))!;
    await job(app, 'projection', {
      click: `[data-testid="feature-map"][data-channel="${channel}"]`,
      indicator: { selector: '[data-testid="projection-panel"][data-loading="true"]' },
      ready: { selector: `[data-testid="projection-panel"][data-loading="false"][data-channel="${channel}"] [data-testid="projection-image"]` },
    });
    const projection = app.getByTestId('projection-panel').getByTestId('projection-image');
    await expect.poll(() => projection.evaluate((el) => (el as unknown as PageImage).naturalWidth)).toBe(SIZE);
    await expect(app.getByTestId('projection-value')).not.toHaveText('…');
    await shot(app, testInfo, '02-layers');
    const imagePath = (await app.getByTestId('maps').getAttribute('data-path'))!;
    await checkExport(app, testInfo, '[data-testid="projection-panel"] [data-testid="export-png"]', 'projection', {
      title: new RegExp(`projection .*relu5.*map ${channel}`),
      caption: [`model ${MODEL}`, 'layer relu5', `image ${imagePath}`, / UTC/],
      svg: '[data-testid="projection-panel"] [data-testid="export-svg"]',
    });
    await checkOtherExport(app, '[data-testid="projection-panel"] [data-testid="export-npy"]', 'npy');
  });

  test('Layers: "Project all maps" of conv5 counts within 2 s and fills the grid', async ({ app }, testInfo) => {
    await app.getByTestId('view-layers').click();
    await expect(app.getByTestId('map-grid')).toHaveAttribute('data-drawn', 'true', { timeout: 60_000 });
    await expect(app.getByTestId('map-grid')).toHaveAttribute('data-layer', 'relu5');
    await job(app, 'project all maps', {
      click: '[data-testid="project-all"]',
      indicator: { selector: '[data-testid="batch"][data-status="running"]', attr: 'data-done' },
      ready: { selector: '[data-testid="batch"][data-status="done"]' },
    }, 180_000);
    await expect(app.getByTestId('batch')).toHaveAttribute('data-done', '256');
    await expect(app.getByTestId('projection-grid')).toBeVisible();
    await shot(app, testInfo, '03-layers-projections');
  });

  test('Filters: spectra of conv1 and the firing scan; the chart export is captioned', async ({ app }, testInfo) => {
    await job(app, 'spectra', {
      click: '[data-testid="view-filters"]',
      indicator: { selector: '[data-testid="spectra-panel-a"][data-loading="true"]' },
      ready: { selector: `[data-testid="filter-grid-a"][data-model="${MODEL}"] [data-testid="filter-cell"]` },
    });
    await expect(app.getByTestId('filter-grid-a').getByTestId('filter-cell')).toHaveCount(96);
    await job(app, 'firing scan', {
      click: '[data-testid="scan-firing-a"]',
      indicator: { selector: '[data-testid="firing-progress-a"]', attr: 'count-text' },
      ready: { selector: '[data-testid="spectra-summary-a"]', contains: `firing scanned on ${imageCount} images` },
    });
    await shot(app, testInfo, '04-filters');
    await checkExport(app, testInfo, '[data-testid="spectra-charts"] [data-testid="export-png"]', 'spectra', {
      title: /Filter spectra of conv1/,
      caption: [`model ${MODEL}`, 'layer conv1', 'N = 32', / UTC/],
      svg: '[data-testid="spectra-charts"] [data-testid="export-svg"]',
    });
    const csv = await checkOtherExport(app, '[data-testid="export-csv-a"]', 'csv');
    expect(csv.trim().split('\n')).toHaveLength(1 + 96);
  });

  test('Top-9: the scan counts and the wall fills; the scan exports', async ({ app }, testInfo) => {
    await app.getByTestId('view-topk').click();
    await expect(app.getByTestId('TopkView')).toBeVisible();
    const layer = await app.getByTestId('topk-layer').inputValue();
    await job(app, 'top-9 scan', {
      click: '[data-testid="topk-scan"]',
      indicator: { selector: '[data-testid="topk-progress"]', attr: 'data-done' },
      ready: { selector: '[data-testid="topk-summary"][data-complete="true"]' },
    });
    await expect(app.getByTestId('topk-summary')).toContainText(`${imageCount} of ${imageCount} images`);
    // The wall then loads a 3×3 of patches per map (one call each), counting maps as it goes.
    await job(app, 'top-9 wall', {
      indicator: { selector: '[data-testid="topk-wall-loading"]', attr: 'count-text' },
      ready: { selector: '[data-testid="topk-wall"]:not(:has([data-testid="topk-wall-loading"])) [data-testid="topk-map"]' },
    }, 180_000);
    const wall = app.getByTestId('topk-wall');
    await expect(wall).toHaveAttribute('data-layer', layer);
    await expect(wall.getByTestId('topk-tile-placeholder')).toHaveCount(0);
    await shot(app, testInfo, '05-topk-wall');
    const json = JSON.parse(await checkOtherExport(app, '[data-testid="topk-export-json"]', 'json'));
    expect(json.layers[0]).toMatchObject({ layer, images: imageCount });
    await checkOtherExport(app, '[data-testid="topk-export-csv"]', 'csv');
  });

  test('Top-9: a map’s top-9 shows its projections; its PNG export is captioned', async ({ app }, testInfo) => {
    await app.getByTestId('view-topk').click();
    const wall = app.getByTestId('topk-wall');
    await expect(wall.getByTestId('topk-map').first()).toBeVisible({ timeout: 60_000 });
    const layer = (await wall.getAttribute('data-layer'))!;
    const c = (await wall.getByTestId('topk-map').first().getAttribute('data-channel'))!;
    await startWatch(app, 'top-9 of a map', {
      click: `[data-testid="topk-map"][data-channel="${c}"]`,
      indicator: { selector: '[data-testid="topk-figure"][data-loading="true"]' },
      ready: { selector: `[data-testid="topk-figure"][data-channel="${c}"][data-loading="false"]` },
    });
    const r = await waitWatch(app, 'top-9 of a map', 120_000);
    lines.push(describeWatch('top-9 of a map', r));
    await shot(app, testInfo, '06-topk-figure');
    const figure = app.getByTestId('topk-figure');
    await expect(figure.getByTestId('topk-projection')).toHaveCount(imageCount, { timeout: 5_000 });
    for (const img of await figure.locator('img').all()) {
      await expect.poll(() => img.evaluate((el) => (el as unknown as PageImage).naturalWidth)).toBeGreaterThan(0);
    }
    await checkExport(app, testInfo, '[data-testid="topk-export-png"]', 'topk', {
      title: new RegExp(`map ${c}\\b`),
      caption: [`model ${MODEL}`, `layer ${layer}`, `folder ${imagesDir}`, / UTC/],
      svg: '[data-testid="topk-export-svg"]',
    });
  });

  test('Invariance: a translation sweep counts within 2 s and draws its charts; its PNG export is captioned', async ({ app }, testInfo) => {
    await app.getByTestId('view-invariance').click();
    await expect(app.getByTestId('InvarianceView')).toBeVisible();
    await expect(app.getByTestId('inv-current')).toHaveText(/\.png$/);
    await expect(app.getByTestId('inv-transform')).toHaveValue('translate-y');
    await expect(app.getByTestId('inv-from')).toHaveValue('-60');
    await app.getByTestId('inv-steps').fill('13');
    await job(app, 'invariance sweep', {
      click: '[data-testid="inv-run"]',
      indicator: { selector: '[data-testid="inv-progress"] [data-done]', attr: 'data-done' },
      ready: { selector: '[data-testid="inv-column"][data-status="done"]' },
    });
    const distance = app.locator('[data-testid="inv-chart"][data-kind="distance"]');
    await expect(distance).toHaveCount(2);
    for (const chart of await distance.all()) await expect(chart).toHaveAttribute('data-points', '13');
    // The model has no labels, so the folder's class names name none of its classes.
    await expect(app.getByTestId('inv-ptrue-na')).toHaveText("P(true class): not available (the folder's class sub-folders do not name the model's classes)");
    await shot(app, testInfo, '07-invariance');
    await checkExport(app, testInfo, '[data-testid="inv-export-png"]', 'invariance', {
      title: /^Invariance/,
      caption: [`model ${MODEL}`, 'd(θ) = ‖φ_L(T_θ x) − φ_L(x)‖₂', / UTC/],
      svg: '[data-testid="inv-export-svg"]',
    });
    await checkOtherExport(app, '[data-testid="inv-export-csv"]', 'csv');
  });

  test('Correspondence: a parts file loaded, the run counts and shows its table; its PNG export is captioned', async ({ app }, testInfo) => {
    await app.getByTestId('view-correspondence').click();
    await expect(app.getByTestId('CorrespondenceView')).toBeVisible();
    // Two parts over two images each, paths relative to the open folder (boxes: y, x, h, w).
    const parts = path.join(dir, 'parts.json');
    writeFileSync(parts, JSON.stringify({
      parts: [
        { name: 'red disc', boxes: [{ image: 'disc/disc-0.png', box: [80, 80, 64, 64] }, { image: 'disc/disc-1.png', box: [108, 48, 64, 64] }] },
        { name: 'stripe edge', boxes: [{ image: 'stripes/stripes-0.png', box: [0, 0, 56, 56] }, { image: 'stripes/stripes-1.png', box: [0, 0, 56, 56] }] },
      ],
    }));
    await app.getByTestId('corr-file').setInputFiles(parts);
    await expect(app.getByTestId('corr-part-name')).toHaveCount(2);
    await expect(app.getByTestId('corr-part-name').first()).toHaveValue('red disc');
    await app.getByTestId('corr-draws').fill('3');
    await job(app, 'correspondence', {
      click: '[data-testid="corr-run"]',
      indicator: { selector: '[data-testid="corr-progress"] [data-done]', attr: 'data-done' },
      ready: { selector: '[data-testid="corr-table"]' },
    });
    await expect(app.getByTestId('corr-row')).toHaveCount(2);
    await expect(app.getByTestId('corr-random-row')).toContainText('random ×3');
    await expect(app.getByTestId('corr-chart')).toBeVisible();
    await shot(app, testInfo, '11-correspondence');
    await checkExport(app, testInfo, '[data-testid="corr-export-png"]', 'correspondence', {
      title: /^Correspondence of object parts across images/,
      caption: ['red disc (2 images)', `model ${MODEL}`, / UTC/],
      svg: '[data-testid="corr-export-svg"]',
    });
    const csv = await checkOtherExport(app, '[data-testid="corr-export-csv"]', 'csv');
    expect(csv.trim().split('\n')).toHaveLength(1 + 2 + 1);
    await checkOtherExport(app, '[data-testid="corr-export-json"]', 'json');
  });

  test('Probes: the run counts and shows accuracy by layer; its PNG export is captioned', async ({ app }, testInfo) => {
    await app.getByTestId('view-probes').click();
    await expect(app.getByTestId('ProbeView')).toBeVisible();
    await app.getByTestId('probe-folds').fill('2');
    await job(app, 'probes', {
      click: '[data-testid="probe-run"]',
      indicator: { selector: '[data-testid="probe-progress"] [data-done]', attr: 'data-done' },
      ready: { selector: '[data-testid="probe-chart"]' },
    });
    await expect(app.getByTestId('probe-summary')).toContainText(`${imageCount} images · 3 classes · 2 folds`);
    const rows = app.getByTestId('probe-row');
    await expect(rows).toHaveCount(Number(await app.getByTestId('probe-chart').getAttribute('data-layers')));
    expect(await rows.count()).toBeGreaterThanOrEqual(2);
    await shot(app, testInfo, '12-probes');
    await checkExport(app, testInfo, '[data-testid="probe-export-png"]', 'probes', {
      title: new RegExp(`^Linear probe accuracy by layer: ${MODEL.replace('.', '\\.')}, ${imageCount} images, 3 classes`),
      caption: [`model ${MODEL}`, / UTC/],
      svg: '[data-testid="probe-export-svg"]',
    });
    await checkOtherExport(app, '[data-testid="probe-export-csv"]', 'csv');
    await checkOtherExport(app, '[data-testid="probe-export-json"]', 'json');
  });

  test('Training: two full-width checkpoints; the evolution counts within 2 s and shows its grid; its PNG export is captioned', async ({ app }, testInfo) => {
    // The folder's classes name none of the model's: the accuracies are not available (this crashed the run once).
    const checkpoints = path.join(dir, 'checkpoints');
    mkdirSync(checkpoints, { recursive: true });
    writeFileSync(path.join(checkpoints, 'zf-epoch-01.onnx'), zfFullWidthModel(SIZE, 29));
    writeFileSync(path.join(checkpoints, 'zf-epoch-02.onnx'), zfFullWidthModel(SIZE, 31));
    await app.getByTestId('view-training').click();
    await expect(app.getByTestId('TrainingView')).toBeVisible();
    const dialog = app.getByTestId('browser');
    await app.getByTestId('training-add-folder').click();
    await fillPath(dialog, checkpoints);
    await dialog.getByTestId('browser-go').click();
    await expect(dialog.getByTestId('browser-path')).toHaveValue(checkpoints);
    await expect(dialog).toHaveAttribute('data-loading', 'false');
    await dialog.getByTestId('browser-choose').click();
    await expect(dialog).toBeHidden();
    await expect(app.getByTestId('training-checkpoints')).toHaveAttribute('data-count', '2');
    await app.getByTestId('training-layer').selectOption('conv5');
    await app.getByTestId('training-maps').fill('4');
    await job(app, 'training', {
      click: '[data-testid="training-run"]',
      indicator: { selector: '[data-testid="training-progress"]', attr: 'data-done' },
      ready: { selector: '[data-testid="training-grid"][data-rows="4"]' },
    }, 180_000);
    await expect(app.getByTestId('training-grid')).toHaveAttribute('data-cols', '2');
    await expect(app.getByTestId('training-cell')).toHaveCount(8);
    await shot(app, testInfo, '13-training');
    await checkExport(app, testInfo, '[data-testid="training-export-png"]', 'training', {
      title: /^Feature evolution of conv5\b.* over 2 checkpoints$/,
      caption: ['Accuracy on the folder: not available', 'model zf-epoch-01.onnx, zf-epoch-02.onnx', / UTC/],
      svg: '[data-testid="training-export-svg"]',
    });
  });

  test('Occlusion: counts within 2 s; a reload mid-job comes back to the place and re-attaches; its PNG export is captioned', async ({ app }, testInfo) => {
    // A place to come back to: the third image, conv4's ReLU and a map in the layer browser.
    const strip = app.getByTestId('image-strip');
    await strip.locator('[data-testid="thumb"][data-index="2"]').click();
    await expect(strip.locator('[data-testid="thumb"][data-index="2"]')).toHaveAttribute('aria-selected', 'true');
    await app.getByTestId('view-layers').click();
    await app.locator('[data-testid="layer-option"][data-id="relu4"]').click();
    await expect(app.getByTestId('map-grid')).toHaveAttribute('data-layer', 'relu4', { timeout: 60_000 });
    await app.getByTestId('map-grid').locator('[data-testid="feature-map"][data-channel="5"]').click();
    await expect(app.getByTestId('projection-panel')).toHaveAttribute('data-channel', '5', { timeout: 60_000 });

    await app.getByTestId('view-occlusion').click();
    await expect(app.getByTestId('OcclusionView')).toBeVisible();
    const image = (await app.getByTestId('occlusion-image').textContent())!;
    // The activity of a chosen map, so the reload has the view's layer setting to bring back too.
    const convLayers = await app
      .getByTestId('occlusion-layer')
      .locator('option')
      .evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value).filter((v) => v !== ''));
    const occLayer = convLayers.at(-2)!;
    await app.getByTestId('occlusion-layer').selectOption(occLayer);
    await app.getByTestId('occlusion-channel').fill('7');
    await app.getByTestId('occlusion-size').fill('28');
    await app.getByTestId('occlusion-stride').fill('14');
    const limit = moveLimit();
    await startWatch(app, 'occlusion', {
      click: '[data-testid="occlusion-run"]',
      indicator: { selector: '[data-testid="occlusion-progress"] [data-done]', attr: 'data-done' },
      ready: { selector: '[data-testid="occlusion-summary"]' },
    });
    await expect.poll(async () => (await readWatch(app, 'occlusion')).advancedAt, { timeout: 60_000 }).not.toBeNull();
    const before = await readWatch(app, 'occlusion');
    checkMoved('occlusion', before, limit);
    expect(before.readyAt, 'the occlusion was still running at the reload').toBeNull();
    await expect(app.getByTestId('occlusion-progress')).toContainText('positions');
    await shot(app, testInfo, '08-occlusion-running');
    await expect.poll(() => hash(app)).toContain('view=occlusion');
    const doneBefore = before.counts.at(-1)!.done;

    await app.reload();
    await expect(app.getByTestId('app')).toHaveAttribute('data-ready', 'true');
    // The place: view, model, folder, image and the occluder settings.
    await expect(app.getByTestId('OcclusionView')).toBeVisible();
    await expect(app.getByTestId('view-occlusion')).toHaveAttribute('aria-selected', 'true');
    await expect(app.getByTestId('model-name')).toHaveText(MODEL);
    await expect(app.getByTestId('folder-name')).toHaveText(path.basename(imagesDir));
    await expect(app.getByTestId('occlusion-image')).toHaveText(image);
    await expect(strip.locator('[data-testid="thumb"][data-index="2"]')).toHaveAttribute('aria-selected', 'true');
    await expect(app.getByTestId('occlusion-size')).toHaveValue('28');
    await expect(app.getByTestId('occlusion-stride')).toHaveValue('14');
    await expect(app.getByTestId('occlusion-layer')).toHaveValue(occLayer);
    await expect(app.getByTestId('occlusion-channel')).toHaveValue('7');
    // The job, re-attached: its progress from where it had got to, still counting, then its maps.
    const bar = app.getByTestId('occlusion-progress').locator('[data-done]');
    await expect(bar).toBeVisible();
    await expect(bar).toHaveAttribute('data-total', '225');
    await expect.poll(async () => Number(await bar.getAttribute('data-done'))).toBeGreaterThan(doneBefore);
    await shot(app, testInfo, '09-occlusion-reattached');
    const summary = app.getByTestId('occlusion-summary');
    await expect(summary).toHaveAttribute('data-grid', '15x15', { timeout: 120_000 });
    await expect(app.getByTestId('occlusion-progress')).toHaveCount(0);
    for (const id of ['occlusion-activity', 'occlusion-pclass', 'occlusion-top1']) await expect(app.getByTestId(id)).toHaveAttribute('data-rows', '15');
    await expect(app.getByTestId('occlusion-faithfulness')).toHaveAttribute('data-ready', 'true', { timeout: 60_000 });
    await shot(app, testInfo, '10-occlusion');
    await checkExport(app, testInfo, '[data-testid="occlusion-export-png"]', 'occlusion', {
      title: new RegExp(`Occlusion sensitivity of ${image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
      caption: [`model ${MODEL}`, `layer ${occLayer}`, `image ${image}`, / UTC/],
      svg: '[data-testid="occlusion-export-svg"]',
    });
    const csv = await checkOtherExport(app, '[data-testid="occlusion-export-csv"]', 'csv');
    expect(csv.trim().split('\n')).toHaveLength(1 + 225);
    await checkOtherExport(app, '[data-testid="occlusion-export-json"]', 'json');

    // The layer browser's layer and map came back with the reload too.
    await app.getByTestId('view-layers').click();
    await expect(app.locator('[data-testid="layer-option"][aria-selected="true"]')).toHaveAttribute('data-id', 'relu4');
    await expect(app.getByTestId('projection-panel')).toHaveAttribute('data-channel', '5', { timeout: 60_000 });
  });
});
