// Starts the runtime process as a plain Node child (server mode, the CLI, tests). Messages are
// frames (frames.ts) on an extra pipe, fd 3, rather than Node's IPC channel: tensors are written from
// their own buffers and read into one buffer each, with no serialisation copies.
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'node:net';
import { encodeFrame, FrameReader } from './frames.ts';
import { runtimeEnv } from './process-env.ts';
import type { RuntimeResponse } from './protocol.ts';
import { ChildProcessHost, type LaunchRuntime, type ProcessHostOptions } from './process-host.ts';

function entry(): string {
  const here = import.meta.url;
  // From sources the child needs tsx; bundled, runtime-main.js sits beside this chunk.
  return fileURLToPath(new URL(here.endsWith('.ts') ? './runtime-boot.mjs' : './runtime-main.js', here));
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
