// onnxruntime-node loads only in processes of its own (README, "Security"): the runtime process and
// the compute process of the probe fit. Nothing the app's own process loads — the server, the
// Electron main process, the CLI, and the compute worker threads that share their address space —
// may reach it through its imports, however indirectly (the probe fit's Gemm once did, through the
// worker threads' task table). Checked on the whole static import graph of each entry, with the same
// esbuild that bundles the runtime process (runtime/launch-node.ts).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');

/** The files of `entry`'s import graph that import onnxruntime-node (statically or by a literal dynamic import). */
function ortImporters(entry: string): string[] {
  const { metafile } = esbuild.buildSync({
    entryPoints: [path.join(root, entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return Object.entries(metafile.inputs).filter(([, i]) => i.imports.some((m) => m.path === 'onnxruntime-node' || m.path.startsWith('onnxruntime-node/'))).map(([f]) => f);
}

describe('onnxruntime-node stays out of the app process', () => {
  it.each([
    ['the server', 'src-main/server/main.ts'],
    ['the Electron main process', 'src-main/electron/main.ts'],
    ['the CLI', 'src-main/cli/index.ts'],
    ['the compute worker threads', 'src-main/core/analysis/compute-worker.ts'],
  ])('%s (%s) never imports it', (_what, entry) => {
    expect(ortImporters(entry)).toEqual([]);
  }, 60_000);

  // The check can fail: the processes meant to load onnxruntime are found doing so.
  it.each([
    ['the runtime process', 'src-main/core/runtime/runtime-main.ts', 'src-main/core/runtime/session-worker.ts'],
    ['the compute process', 'src-main/core/analysis/compute-process.ts', 'src-main/core/runtime/gemm.ts'],
  ])('%s (%s) does', (_what, entry, importer) => {
    expect(ortImporters(entry)).toContain(importer);
  }, 60_000);
});
