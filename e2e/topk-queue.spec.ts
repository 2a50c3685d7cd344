// Server mode with --redis (issue 18): the Top-9 view says how many workers are connected and its
// scan runs on a `convscope worker` process through a real redis-server of the test's own.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NO_REDIS, redisServerBinary, startRedis } from '../src-main/core/distributed/testing.ts';
import { expect, SERVER_ONLY, test } from './fixtures.ts';
import { repoRoot } from './support/env.ts';
import { startServer } from './support/server.ts';

test.describe('the Top-9 view with --redis', () => {
  test.skip(({ shell }) => shell !== 'web', SERVER_ONLY);
  test.skip(() => redisServerBinary() === null, NO_REDIS);

  test('counts the connected workers, and a scan through them completes', async ({ app }) => {
    test.setTimeout(180_000);
    const redis = await startRedis();
    // A fresh cache, so the scan really goes to the worker.
    const env = { CONVSCOPE_CACHE_DIR: mkdtempSync(path.join(os.tmpdir(), 'convscope-e2e-queue-')) };
    const before = process.env.CONVSCOPE_CACHE_DIR;
    process.env.CONVSCOPE_CACHE_DIR = env.CONVSCOPE_CACHE_DIR;
    const server = await startServer(['--redis', redis.url]).finally(() => {
      if (before === undefined) delete process.env.CONVSCOPE_CACHE_DIR;
      else process.env.CONVSCOPE_CACHE_DIR = before;
    });
    let worker: ReturnType<typeof spawn> | null = null;
    const page = await app.context().newPage();
    try {
      await page.goto(server.url);
      await expect(page.getByTestId('app')).toHaveAttribute('data-ready', 'true');
      await page.getByTestId('view-topk').click();
      const queue = page.getByTestId('topk-queue');
      await expect(queue).toHaveAttribute('data-workers', '0');
      await expect(queue).toContainText('No worker is connected');

      worker = spawn(process.execPath, [path.join(repoRoot, 'bin/convscope.mjs'), 'worker', '--redis', redis.url, '--provider', 'cpu'], { stdio: 'ignore', env: { ...process.env, ...env } });
      // The view asks again every 5 s.
      await expect(queue).toHaveAttribute('data-workers', '1', { timeout: 30_000 });
      await expect(queue).toContainText('Scans run on 1 worker through Redis');

      await page.getByTestId('topk-scan').click();
      const summary = page.getByTestId('topk-summary');
      await expect(summary).toHaveAttribute('data-complete', 'true', { timeout: 90_000 });
      await expect(summary).toContainText('300 of 300 images');
    } finally {
      await page.close();
      if (worker && worker.exitCode === null) {
        const exited = new Promise((r) => worker!.once('exit', r));
        worker.kill('SIGTERM');
        await exited;
      }
      await server.stop();
      await redis.stop();
    }
  });
});
