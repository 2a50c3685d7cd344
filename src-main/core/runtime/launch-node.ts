// Starts the runtime process as a plain Node child (server mode, the CLI, tests). Messages are
// frames (frames.ts) on an extra pipe, fd 3, rather than Node's IPC channel: tensors are written from
// their own buffers and read into one buffer each, with no serialisation copies.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'node:net';
import { encodeFrame, FrameReader } from './frames.ts';
import { runtimeEnv } from './process-env.ts';
import type { RuntimeResponse } from './protocol.ts';
import { ChildProcessHost, type LaunchRuntime, type ProcessHostOptions } from './process-host.ts';

function entry(): string {
  const here = import.meta.url;
  // Bundled (the desktop app's build), runtime-main.js sits beside this chunk.
  if (!here.endsWith('.ts')) return fileURLToPath(new URL('./runtime-main.js', here));
  return process.env.CONVSCOPE_RUNTIME_FROM_SOURCES === '1' ? fileURLToPath(new URL('./runtime-boot.mjs', here)) : (bundledEntry() ?? fileURLToPath(new URL('./runtime-boot.mjs', here)));
}

let bundled: string | null | undefined;

/**
 * Run from sources (server mode, the CLI, the tests), the runtime process would need tsx's loader:
 * a hooks thread with its own heap, about 50 MB resident in every runtime process, and a slower
 * start. So its entry is bundled once per app process with esbuild (the one tsx itself runs;
 * about 0.1 s) into node_modules/.cache/convscope, named by its content, where onnxruntime-node
 * resolves as from the sources. Where that cannot be written (a read-only install) or esbuild is
 * missing, the child boots from the sources through tsx as before (runtime-boot.mjs), as it does
 * with CONVSCOPE_RUNTIME_FROM_SOURCES=1.
 */
function bundledEntry(): string | null {
  if (bundled !== undefined) return bundled;
  bundled = null;
  try {
    const require = createRequire(import.meta.url);
    const esbuild = require('esbuild') as typeof import('esbuild');
    const result = esbuild.buildSync({
      entryPoints: [fileURLToPath(new URL('./runtime-main.ts', import.meta.url))],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['onnxruntime-node'],
      write: false,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0].contents;
    const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
    const dir = fileURLToPath(new URL('../../../node_modules/.cache/convscope/', import.meta.url));
    const file = path.join(dir, `runtime-${hash}.mjs`);
    if (!existsSync(file)) {
      mkdirSync(dir, { recursive: true });
      // Written whole under another name, then renamed: processes starting side by side never read half a file.
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, code);
      renameSync(tmp, file);
    }
    bundled = file;
  } catch {
    // The sources through tsx, as before.
  }
  return bundled;
}

export const launchNodeRuntime: LaunchRuntime = (events) => {
  // --expose-gc: the runtime collects after opening and closing a model (session-worker.ts).
  const child = spawn(process.execPath, ['--expose-gc', entry()], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    env: runtimeEnv(),
    windowsHide: true,
  });
  const pipe = child.stdio[3] as Socket;
  const stderr = child.stderr as Readable;
  const reader = new FrameReader((m) => events.onMessage(m as RuntimeResponse));
  pipe.on('data', (chunk: Buffer) => {
    try {
      reader.push(chunk);
    } catch (e) {
      // A garbled frame means the process is not ours to trust any more.
      events.onStderr?.(`bad frame from the runtime process: ${(e as Error).message}\n`);
      child.kill('SIGKILL');
    }
  });
  pipe.on('error', () => {});
  stderr.on('data', (d: Buffer) => events.onStderr?.(d.toString()));
  child.on('error', (e) => events.onExit(null, null, e.message));
  child.on('exit', (code, signal) => events.onExit(code, signal));
  const handles = [child, pipe, stderr] as { ref(): void; unref(): void }[];
  return {
    get pid() {
      return child.pid;
    },
    send(message) {
      for (const part of encodeFrame(message)) pipe.write(part);
    },
    kill() {
      child.kill('SIGKILL');
    },
    ref(active) {
      for (const h of handles) {
        if (active) h.ref();
        else h.unref();
      }
    },
  };
};

/** The runtime host of server mode, the CLI and the tests: sessions in a Node child process. */
export function nodeRuntimeHost(options: Partial<ProcessHostOptions> = {}): ChildProcessHost {
  return new ChildProcessHost({ launch: launchNodeRuntime, ...options });
}
