// The desktop shell's runtime process: Electron's utilityProcess (a Node child the browser process
// supervises). Messages are structured clones over its parent port; the host is the core's own
// (core/runtime/process-host.ts), so recovery, the memory limit and the timeouts are the same as in
// server mode, where the child is a plain Node process.
import { utilityProcess } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChildProcessHost, type LaunchRuntime } from '../core/runtime/process-host.ts';
import type { RuntimeResponse } from '../core/runtime/protocol.ts';
import { runtimeEnv } from '../core/runtime/process-env.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

const launchUtilityRuntime: LaunchRuntime = (events) => {
  // Bundled by electron-vite beside this file (electron.vite.config.ts: the runtime-main entry).
  const child = utilityProcess.fork(path.join(here, 'runtime-main.js'), [], { serviceName: 'Convscope inference', stdio: 'pipe', execArgv: ['--expose-gc'], env: runtimeEnv() });
  child.on('message', (m: unknown) => events.onMessage(m as RuntimeResponse));
  child.on('exit', (code: number) => events.onExit(code, null));
  child.stderr?.on('data', (d: Buffer) => events.onStderr?.(d.toString()));
  return {
    get pid() {
      return child.pid;
    },
    send(message) {
      child.postMessage(message);
    },
    kill() {
      child.kill();
    },
  };
};

export function utilityRuntimeHost(): ChildProcessHost {
  return new ChildProcessHost({ launch: launchUtilityRuntime });
}
