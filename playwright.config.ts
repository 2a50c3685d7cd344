// End-to-end tests: the same specs against server mode in Chromium (`web`) and the desktop shell
// (`electron`, skipped where the Electron runtime is not installed).
import { defineConfig } from '@playwright/test';
import type { ShellOptions } from './e2e/fixtures.ts';
import { CHROMIUM_ARGS, chromiumExecutable, electronRuntime } from './e2e/support/env.ts';

const electron = electronRuntime();
if (!electron.ok && !process.env.CONVSCOPE_E2E_NOTED) {
  // Workers load this file again; say it once.
  process.env.CONVSCOPE_E2E_NOTED = '1';
  console.log(`[e2e] electron project skipped: ${electron.reason}`);
}

export default defineConfig<ShellOptions>({
  testDir: './e2e',
  testMatch: '**/*.spec.ts',
  outputDir: process.env.CONVSCOPE_E2E_OUT ?? './test-results',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: 'list',
  use: {
    headless: true,
    actionTimeout: 15_000,
    launchOptions: {
      executablePath: chromiumExecutable(),
      args: CHROMIUM_ARGS,
    },
  },
  projects: [
    { name: 'web', use: { shell: 'web' } },
    { name: 'electron', use: { shell: 'electron' } },
  ],
});
