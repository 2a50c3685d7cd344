// The e2e run normally builds first (see the README's test command); these make a bare
// `npx playwright test` work too.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { paths, repoRoot } from './env.ts';

function npx(args: string[]): void {
  execFileSync(process.platform === 'win32' ? 'npx.cmd' : 'npx', args, { cwd: repoRoot, stdio: 'inherit' });
}

export function ensureRendererBuilt(): void {
  if (!existsSync(paths.rendererIndex)) npx(['vite', 'build', '-c', 'vite.renderer.config.ts']);
}

export function ensureElectronBuilt(): void {
  if (!existsSync(paths.electronMain)) npx(['electron-vite', 'build']);
}
