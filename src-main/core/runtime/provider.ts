// Execution-provider choice: CUDA when its provider library and an NVIDIA GPU are both present,
// else CPU with the reason, which `info` and the UI report.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Provider } from '../../common/api.ts';

/** How projections run: the TypeScript engine, or the reverse path compiled to ONNX (the GPU path). */
export type DeconvBackend = 'auto' | 'engine' | 'compiled';

export interface ProviderChoice {
  providers: Provider[];
  reason: string;
  /** 'auto': compiled under CUDA, the TypeScript engine on CPU. CONVSCOPE_DECONV overrides it. */
  deconv?: DeconvBackend;
}

export function deconvBackendFromEnv(): DeconvBackend {
  const v = process.env.CONVSCOPE_DECONV;
  return v === 'engine' || v === 'compiled' ? v : 'auto';
}

function ortBinaryDir(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const pkg = require.resolve('onnxruntime-node/package.json');
    return path.join(path.dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return null;
  }
}

export function cudaProviderInstalled(): boolean {
  const dir = ortBinaryDir();
  if (!dir) return false;
  const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  return existsSync(path.join(dir, lib));
}

export function nvidiaGpuPresent(): boolean {
  if (process.platform === 'linux') return existsSync('/proc/driver/nvidia/version') || existsSync('/dev/nvidia0');
  // Elsewhere we cannot cheaply tell; trying the CUDA provider and falling back is safe.
  return process.platform === 'win32';
}

/** `requested` comes from --provider / CONVSCOPE_PROVIDER: 'auto' (default), 'cpu' or 'cuda'. */
export function chooseProvider(requested: 'auto' | Provider = 'auto'): ProviderChoice {
  const deconv = deconvBackendFromEnv();
  if (requested === 'cpu') return { providers: ['cpu'], reason: 'CPU requested', deconv };
  const installed = cudaProviderInstalled();
  const gpu = nvidiaGpuPresent();
  if (installed && gpu) return { providers: ['cuda', 'cpu'], reason: 'CUDA provider and an NVIDIA GPU found', deconv };
  const why = !installed
    ? 'CUDA provider libraries are not installed (run `npm run setup:cuda` on a machine with a network)'
    : 'no NVIDIA GPU found';
  return { providers: ['cpu'], reason: requested === 'cuda' ? `CUDA requested but ${why}` : why, deconv };
}
