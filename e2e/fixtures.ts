// One `app` fixture over both shells: a page of the server-mode app in Chromium (web), or the
// desktop window (electron, only where its runtime is installed; otherwise the test is skipped).
import { _electron, expect, test as base, type Browser, type ElectronApplication, type Page } from '@playwright/test';
import { ensureElectronBuilt, ensureRendererBuilt } from './support/build.ts';
import { electronRuntime, paths, repoRoot } from './support/env.ts';
import { startServer, type RunningServer } from './support/server.ts';

export type Shell = 'web' | 'electron';

export interface ShellOptions {
  shell: Shell;
}

type Target =
  | { shell: 'web'; server: RunningServer; browser: Browser }
  | { shell: 'electron'; electron: ElectronApplication };

interface WorkerFixtures extends ShellOptions {
  target: Target;
  /** Only in the web shell: the running server (for raw HTTP checks). */
  server: RunningServer;
}

interface TestFixtures {
  app: Page;
  /** Problems the page reported (uncaught errors, CSP violations); each test ends by expecting none. */
  pageProblems: string[];
}

export const test = base.extend<TestFixtures & { _shellGate: void }, WorkerFixtures>({
  shell: ['web', { option: true, scope: 'worker' }],

  // Runs before the other fixtures, so an unavailable shell costs nothing.
  _shellGate: [
    async ({ shell }, use, testInfo) => {
      if (shell === 'electron') {
        const rt = electronRuntime();
        testInfo.skip(!rt.ok, rt.ok ? '' : rt.reason);
      }
      await use();
    },
    { auto: true },
  ],

  target: [
    async ({ shell, playwright, launchOptions, headless }, use) => {
      if (shell === 'web') {
        ensureRendererBuilt();
        const server = await startServer();
        const browser = await playwright.chromium.launch({ ...launchOptions, headless });
        try {
          await use({ shell, server, browser });
        } finally {
          await browser.close();
          await server.stop();
        }
        return;
      }
      const rt = electronRuntime();
      if (!rt.ok) throw new Error(rt.reason);
      ensureRendererBuilt();
      ensureElectronBuilt();
      const electron = await _electron.launch({
        executablePath: rt.executable,
        args: [paths.electronMain, '--provider', 'cpu'],
        cwd: repoRoot,
      });
      try {
        await use({ shell, electron });
      } finally {
        await electron.close();
      }
    },
    { scope: 'worker', timeout: 180_000 },
  ],

  server: [
    async ({ target }, use) => {
      if (target.shell !== 'web') throw new Error('the server fixture exists only in the web shell');
      await use(target.server);
    },
    { scope: 'worker' },
  ],

  pageProblems: async ({}, use) => {
    await use([]);
  },

  app: async ({ target, pageProblems }, use, testInfo) => {
    let page: Page;
    let close: () => Promise<void>;
    if (target.shell === 'web') {
      const context = await target.browser.newContext({ viewport: { width: 1400, height: 900 } });
      page = await context.newPage();
      close = () => context.close();
    } else {
      page = await target.electron.firstWindow();
      await page.setViewportSize({ width: 1400, height: 900 }).catch(() => {});
      close = async () => {};
    }
    page.on('pageerror', (e) => pageProblems.push(`uncaught: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) pageProblems.push(`csp: ${m.text()}`);
    });
    if (target.shell === 'web') await page.goto(target.server.url);
    else await page.reload();
    await expect(page.getByTestId('app')).toHaveAttribute('data-ready', 'true');
    try {
      await use(page);
      expect(pageProblems, 'the page reported errors').toEqual([]);
    } finally {
      if (testInfo.status !== testInfo.expectedStatus) {
        await testInfo.attach('screenshot', { body: await page.screenshot().catch(() => Buffer.alloc(0)), contentType: 'image/png' });
      }
      await close();
    }
  },
});

export { expect };

export const SERVER_ONLY = 'server mode only: the desktop shell uses native dialogs and IPC';
