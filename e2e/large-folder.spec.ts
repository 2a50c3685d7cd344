import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, SERVER_ONLY, test } from './fixtures.ts';
import { fillPath } from './support/file-browser.ts';
import { paths } from './support/env.ts';

/** A 10,000-image ImageFolder made of copies of the samples. */
function makeLargeFolder(perClass = 1000): string {
  const root = mkdtempSync(path.join(tmpdir(), 'convscope-10k-'));
  for (const cls of readdirSync(paths.samples, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    const src = path.join(paths.samples, cls.name);
    const files = readdirSync(src).filter((f) => f.toLowerCase().endsWith('.png'));
    mkdirSync(path.join(root, cls.name));
    for (let i = 0; i < perClass; i++) {
      copyFileSync(path.join(src, files[i % files.length]), path.join(root, cls.name, `img${String(i).padStart(4, '0')}.png`));
    }
  }
  return root;
}

test.describe('a large folder', () => {
  test.skip(({ shell }) => shell !== 'web', SERVER_ONLY);

  test('10,000 images open and show their first thumbnails within 2 s', async ({ app }) => {
    const root = makeLargeFolder();
    try {
      await app.getByTestId('open-folder').click();
      const dialog = app.getByTestId('browser');
      await fillPath(dialog, root);
      await dialog.getByTestId('browser-go').click();
      await expect(dialog.getByTestId('browser-path')).toHaveValue(root);

      const started = Date.now();
      await dialog.getByTestId('browser-choose').click();
      const first = app.locator('[data-testid="thumb"][data-index="0"] img');
      await expect(first).toHaveAttribute('src', /^blob:/, { timeout: 10_000 });
      await expect(app.getByTestId('folder-name')).toHaveText(path.basename(root));
      const elapsed = Date.now() - started;
      test.info().annotations.push({ type: 'timing', description: `first thumbnail after ${elapsed} ms` });
      console.log(`[e2e] 10,000-image folder: first thumbnail ${elapsed} ms after "Open this folder"`);
      expect(elapsed, 'time from "Open this folder" to the first thumbnail').toBeLessThan(2000);

      const strip = app.getByTestId('image-strip');
      expect(await strip.getByTestId('thumb').count()).toBeLessThan(60);
      await expect(app.getByTestId('strip-position')).toHaveText('1 / 10,000');

      // Jumping to the end fetches only the last page and its thumbnails.
      await strip.focus();
      await app.keyboard.press('End');
      const last = app.locator('[data-testid="thumb"][data-index="9999"]');
      await expect(last).toHaveAttribute('aria-selected', 'true');
      await expect(last.locator('img')).toHaveAttribute('src', /^blob:/);
      await expect(app.getByTestId('selected-image')).toHaveAttribute('data-path', (await last.getAttribute('data-path'))!);
    } finally {
      // Leave the demo folder open for the other specs.
      await app.getByTestId('open-folder').click();
      const dialog = app.getByTestId('browser');
      await fillPath(dialog, paths.samples);
      await dialog.getByTestId('browser-go').click();
      await expect(dialog.getByTestId('browser-path')).toHaveValue(paths.samples);
      await dialog.getByTestId('browser-choose').click();
      await expect(app.getByTestId('folder-name')).toHaveText('fashion-mnist');
      rmSync(root, { recursive: true, force: true });
    }
  });
});
