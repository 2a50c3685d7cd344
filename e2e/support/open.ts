// Opening a model or an image folder through the in-app file browser (server mode), as a user does:
// the header's Open button, a typed path, Go, then the model file or "Choose this folder".
import path from 'node:path';
import { expect, type Page } from '@playwright/test';
import { fillPath } from './file-browser.ts';

export async function browseTo(app: Page, kind: 'model' | 'folder', dir: string): Promise<void> {
  await app.getByTestId(kind === 'model' ? 'open-model' : 'open-folder').click();
  const dialog = app.getByTestId('browser');
  await fillPath(dialog, dir);
  await dialog.getByTestId('browser-go').click();
  await expect(dialog.getByTestId('browser-path')).toHaveValue(dir);
  // The listing of `dir`, not the one before it, is on screen.
  await expect(dialog).toHaveAttribute('data-loading', 'false');
}

/** Clicks `file` in the browser at `dir`, without waiting for the model to open. */
export async function openModelAttempt(app: Page, dir: string, file: string): Promise<void> {
  await browseTo(app, 'model', dir);
  await app.getByTestId('browser').locator(`[data-testid="browser-entry"][data-name="${file}"]`).click();
}

export async function openModelAt(app: Page, dir: string, file: string): Promise<void> {
  await openModelAttempt(app, dir, file);
  await expect(app.getByTestId('model-name')).toHaveText(file, { timeout: 120_000 });
}

export async function openFolderAt(app: Page, dir: string): Promise<void> {
  await browseTo(app, 'folder', dir);
  await app.getByTestId('browser').getByTestId('browser-choose').click();
  await expect(app.getByTestId('folder-name')).toHaveText(path.basename(dir));
}
