// Typing a path into the in-app file browser. The dialog loads its first listing when it opens and
// then writes that folder into the path field; a fill that lands while it does can end up appended
// to it ("…/zf-mini/tmp/…"). So: wait for the listing, fill, and check the field says what was typed.
import type { Locator } from '@playwright/test';
import { expect } from '@playwright/test';

export async function fillPath(dialog: Locator, dir: string): Promise<void> {
  await expect(dialog).toHaveAttribute('data-loading', 'false');
  const field = dialog.getByTestId('browser-path');
  await expect(async () => {
    await field.fill(dir);
    await expect(field).toHaveValue(dir, { timeout: 500 });
  }).toPass({ timeout: 10_000 });
}
