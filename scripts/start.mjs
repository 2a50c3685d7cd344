#!/usr/bin/env node
// `npm start`: the desktop app when the Electron runtime is installed, else server mode (one line says
// why). `npm run serve` (--server) always starts server mode. Both pass --model/--images/--port on.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const forceServer = args.includes('--server');
const passOn = args.filter((a) => a !== '--server');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function run(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function ensureRendererBuilt() {
  const index = path.join(root, 'out/renderer/index.html');
  const sources = Math.max(newestMtime(path.join(root, 'src-renderer')), newestMtime(path.join(root, 'src-main/common')));
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  console.log('Building the renderer…');
  run(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '-c', 'vite.renderer.config.ts', '--logLevel', 'warn']);
}

function electronBinary() {
  const dir = path.join(root, 'node_modules/electron');
  const pathFile = path.join(dir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const exe = path.join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(exe) ? exe : null;
}

const electron = forceServer ? null : electronBinary();
if (electron) {
  run(process.execPath, [path.join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build', '--logLevel', 'warn']);
  const child = spawn(electron, [root, ...passOn], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  if (!forceServer) {
    console.log('Electron runtime not installed (npm run setup:electron fetches it where there is a network); starting server mode.');
  }
  ensureRendererBuilt();
  // A fixed malloc mmap threshold (glibc), as the runtime process has (src-main/core/runtime/process-env.ts):
  // large blocks freed after a real-size model go back to the system instead of staying resident.
  const env = { ...process.env, MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? String(1024 * 1024) };
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src-main/server/main.ts'), ...passOn], { cwd: root, stdio: 'inherit', env });
  const forward = (sig) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code) => process.exit(code ?? 0));
}
