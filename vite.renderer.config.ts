// The renderer's build, shared by electron-vite (desktop) and plain vite (server mode).
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { resolve } from 'node:path';
import type { UserConfig } from 'vite';

const here = import.meta.dirname;

export const rendererConfig: UserConfig = {
  root: resolve(here, 'src-renderer'),
  base: './',
  plugins: [svelte()],
  build: {
    // CONVSCOPE_RENDERER_OUT lets parallel work build and test its own copy.
    outDir: resolve(here, process.env.CONVSCOPE_RENDERER_OUT ?? 'out/renderer'),
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: { input: resolve(here, 'src-renderer/index.html') },
  },
};

export default rendererConfig;
