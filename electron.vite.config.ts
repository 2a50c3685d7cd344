import { defineConfig } from 'electron-vite';
import { resolve } from 'node:path';
import { rendererConfig } from './vite.renderer.config.ts';

const here = import.meta.dirname;
// Native and heavy packages stay external: they are loaded from node_modules at run time.
const external = ['electron', 'onnxruntime-node', 'sharp', 'ws', 'tsx', /^tsx\//];

export default defineConfig({
  main: {
    build: {
      outDir: resolve(here, 'out/main'),
      rollupOptions: {
        input: {
          index: resolve(here, 'src-main/electron/main.ts'),
          // The runtime process's entry, started by electron/runtime-process.ts as a utility process.
          'runtime-main': resolve(here, 'src-main/core/runtime/runtime-main.ts'),
          // The analyses' compute worker, started by core/analysis/compute.ts as a worker thread. That
          // file resolves it beside its own chunk, so it must stay in index.js (only the main side imports it).
          'compute-worker': resolve(here, 'src-main/core/analysis/compute-worker.ts'),
          // The compute process (the probe fit on onnxruntime), forked by compute.ts, resolved likewise.
          'compute-process': resolve(here, 'src-main/core/analysis/compute-process.ts'),
        },
        external,
        output: { format: 'es', entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(here, 'out/preload'),
      rollupOptions: {
        input: { index: resolve(here, 'src-main/electron/preload/index.ts') },
        external: ['electron'],
        // Sandboxed preloads must be CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: rendererConfig,
});
