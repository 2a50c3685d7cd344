// The e2e run normally builds first (see the README's test command); these make a bare
// `npx playwright test` work too.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { paths, repoRoot } from './env.ts';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function npx(args: string[]): void {
  execFileSync(process.platform === 'win32' ? 'npx.cmd' : 'npx', args, { cwd: repoRoot, stdio: 'inherit' });
}

/** Builds the renderer when it is missing or older than its sources (as `npm start` does). */
export function ensureRendererBuilt(): void {
  const sources = Math.max(newestMtime(path.join(repoRoot, 'src-renderer')), newestMtime(path.join(repoRoot, 'src-main/common')));
  if (!existsSync(paths.rendererIndex) || statSync(paths.rendererIndex).mtimeMs < sources) npx(['vite', 'build', '-c', 'vite.renderer.config.ts']);
}

export function ensureElectronBuilt(): void {
  if (!existsSync(paths.electronMain)) npx(['electron-vite', 'build']);
}
