// The two kinds of compute worker the pool (compute-pool.ts) can start, behind one small interface:
// a worker thread (cheap, shares the app's address space) or a child process (a native fault or a
// runaway allocation in it ends that process only). Tasks that load native code — the probe fit on
// onnxruntime — use processes, so onnxruntime never loads in the server's or Electron's main process.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { TaskReply, TaskRequest } from './compute-protocol.ts';

export interface EndpointEvents {
  onMessage(reply: TaskReply): void;
  /** The worker is gone; `why` completes "the compute … ". */
  onGone(why: string, details: Record<string, unknown>): void;
}

export interface Endpoint {
  readonly pid: number | undefined;
  post(message: TaskRequest, transfer: ArrayBuffer[]): void;
  /** Whether it may keep the app alive: only while it runs a task. */
  ref(active: boolean): void;
  end(): Promise<void>;
}

/** Options of process workers; the memory check is the runtime process's own, passed in (jobs sits below runtime). */
export interface ProcessOptions {
  /** The child's environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Resident memory a process may use before it is stopped; with `residentMb`. */
  memoryLimitMb?: number;
  residentMb?: (pid: number) => Promise<number | null>;
  pollMs?: number;
  /** The variable that changes the limit, for the message. */
  memoryVariable?: string;
}

/** How to start a worker on `entry`: sources go through a boot file that registers tsx first. */
function bootFile(entry: URL, boot: string): { file: URL; viaBoot: boolean } {
  return entry.pathname.endsWith('.ts') ? { file: new URL(boot, import.meta.url), viaBoot: true } : { file: entry, viaBoot: false };
}

export function startThread(entry: URL, events: EndpointEvents): Endpoint {
  const { file, viaBoot } = bootFile(entry, './worker-boot.mjs');
  // Not the parent's flags: from sources the boot file registers tsx itself.
  const worker = new Worker(file, { workerData: viaBoot ? { entry: entry.href } : null, execArgv: [] });
  worker.unref();
  worker.on('message', (reply: TaskReply) => events.onMessage(reply));
  worker.on('error', (e) => events.onGone(`worker failed (${e.message})`, {}));
  worker.on('exit', (code) => events.onGone(`worker exited (code ${code})`, { exitCode: code }));
  return {
    pid: undefined,
    post(message, transfer) {
      try {
        worker.postMessage(message, transfer);
      } catch (e) {
        // Some buffers cannot move (Node's Buffer pool, for one): copy them instead.
        if ((e as Error).name !== 'DataCloneError') throw e;
        worker.postMessage(message);
      }
    },
    ref(active) {
      if (active) worker.ref();
      else worker.unref();
    },
    async end() {
      await worker.terminate();
    },
  };
}

/** The last line a process wrote to stderr: an abort's reason is usually there. */
function lastLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).at(-1)?.slice(0, 300) ?? '';
}

export function startProcess(entry: URL, options: ProcessOptions, events: EndpointEvents): Endpoint {
  const { file, viaBoot } = bootFile(entry, './process-boot.mjs');
  const env = { ...(options.env ?? process.env) };
  // Electron's binary is process.execPath there: run it as plain Node.
  if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
  // Structured clone (typed arrays whole, as between threads) rather than JSON.
  const child = fork(fileURLToPath(file), viaBoot ? [entry.href] : [], {
    serialization: 'advanced',
    execArgv: [],
    env,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
    if (process.env.CONVSCOPE_DEBUG_RUNTIME) process.stderr.write(d);
  });
  /** Set when the pool stopped the process itself, to say why instead of "crashed". */
  let stoppedFor: string | null = null;
  let watchdog: NodeJS.Timeout | null = null;
  const { memoryLimitMb, residentMb } = options;
  if (memoryLimitMb && residentMb) {
    let busy = false;
    watchdog = setInterval(() => {
      if (busy || child.pid === undefined) return;
      busy = true;
      void residentMb(child.pid)
        .then((mb) => {
          if (mb !== null && mb > memoryLimitMb && stoppedFor === null && child.exitCode === null) {
            const change = options.memoryVariable ? ` (set ${options.memoryVariable} to change the limit)` : '';
            stoppedFor = `process went over its memory limit of ${memoryLimitMb} MB (${Math.round(mb)} MB in use) and was stopped${change}`;
            child.kill('SIGKILL');
          }
        })
        .finally(() => (busy = false));
    }, options.pollMs ?? 200);
    watchdog.unref();
  }
  child.on('message', (reply: TaskReply) => events.onMessage(reply));
  child.on('error', (e) => {
    if (watchdog) clearInterval(watchdog);
    events.onGone(`process could not start or be reached (${e.message})`, {});
    child.kill('SIGKILL');
  });
  child.on('exit', (code, signal) => {
    if (watchdog) clearInterval(watchdog);
    const tail = lastLine(stderr);
    const why = stoppedFor ?? `process crashed (${signal ? `signal ${signal}` : `exit code ${code}`}${tail ? `: ${tail}` : ''})`;
    events.onGone(why, { reason: stoppedFor ? 'memory' : 'crash', ...(signal ? { signal } : {}), ...(code !== null ? { exitCode: code } : {}) });
  });
  const handles = () => [child, child.channel, child.stderr].filter(Boolean) as { ref(): void; unref(): void }[];
  for (const h of handles()) h.unref();
  return {
    get pid() {
      return child.pid;
    },
    post(message) {
      // No transfer across processes: the arguments are copied through the pipe.
      child.send(message);
    },
    ref(active) {
      for (const h of handles()) {
        if (active) h.ref();
        else h.unref();
      }
    },
    async end() {
      if (watchdog) clearInterval(watchdog);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
