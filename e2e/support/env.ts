// Where things are, and which shells can run here. Used by playwright.config.ts and the fixtures.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Debian's Chromium when present; otherwise Playwright's own download (if installed). */
export function chromiumExecutable(): string | undefined {
  return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined;
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export type Availability = { ok: true; executable: string } | { ok: false; reason: string };

/** The Electron runtime is an optional download (node_modules/electron/path.txt names it once installed). */
export function electronRuntime(): Availability {
  const reason = 'Electron runtime not installed (npm run setup:electron)';
  if (!existsSync(path.join(repoRoot, 'node_modules/electron/path.txt'))) return { ok: false, reason };
  try {
    const exe = createRequire(path.join(repoRoot, 'package.json'))('electron') as unknown;
    if (typeof exe === 'string' && existsSync(exe)) return { ok: true, executable: exe };
  } catch {
    // electron/index.js throws when the download is incomplete.
  }
  return { ok: false, reason };
}

export const paths = {
  rendererDir: path.join(repoRoot, process.env.CONVSCOPE_RENDERER_OUT ?? 'out/renderer'),
  rendererIndex: path.join(repoRoot, process.env.CONVSCOPE_RENDERER_OUT ?? 'out/renderer', 'index.html'),
  electronMain: path.join(repoRoot, 'out/main/index.js'),
  serverMain: path.join(repoRoot, 'src-main/server/main.ts'),
  models: path.join(repoRoot, 'resources/models'),
  samples: path.join(repoRoot, 'resources/samples/fashion-mnist'),
};
