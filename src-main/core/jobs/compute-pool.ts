// A small pool of worker threads for the analyses' CPU work: the thread that routes messages (the
// Electron main process, the server's event loop) must never spend tens of milliseconds in a kernel
// (DESIGN §1). Generic: a worker entry serves named tasks (compute-serve.ts); what those tasks are
// is the importer's business, so this file knows nothing of the analyses.
//
// - Workers start on first use and are unref'd while idle, so a CLI exits once its work is done.
// - One task per worker at a time: a task that must be stopped can then take its worker with it.
// - Arguments are structured-cloned; buffers named in `transfer` move instead of being copied, and
//   every typed array of a result moves back (the worker keeps nothing it returns).
// - Cancelling drops the task's result at once; a task still running `terminateAfterMs` later ends
//   its worker, which is replaced on the next task. A worker that dies fails only its own task.
// - Workers are threads, or with `isolation: 'process'` child processes (compute-endpoints.ts): for
//   tasks that load native code, whose faults must not reach the app's own process.
import os from 'node:os';
import { AppError } from '../../common/errors.ts';
import { startProcess, startThread, type Endpoint, type ProcessOptions } from './compute-endpoints.ts';
import type { TaskError, TaskMap, TaskReply, TaskRequest } from './compute-protocol.ts';

export type { TaskMap };

export interface ComputePoolOptions {
  /** The worker's entry module: a .ts source (booted through tsx) or a bundled .js file. */
  entry: URL;
  /** Number of workers; default min(2, cores − 1), at least 1. */
  size?: number;
  /** How long a cancelled task may keep running before its worker is terminated (default 50 ms). */
  terminateAfterMs?: number;
  /** Worker threads (default) or child processes. */
  isolation?: 'thread' | 'process';
  /** Child processes only: environment and memory limit. */
  process?: ProcessOptions;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Buffers of the arguments to move to the worker (they are detached here afterwards). */
  transfer?: ArrayBuffer[];
  /** What the task does, for messages ("fitting the probe of conv1"); default: running "<name>". */
  doing?: string;
}

interface Task {
  id: number;
  name: string;
  args: unknown;
  transfer: ArrayBuffer[];
  doing: string;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  /** Removes the abort listener; called once the task settles. */
  detach(): void;
}

interface Slot {
  worker: Endpoint;
  task: Task | null;
}

export function defaultPoolSize(): number {
  return Math.max(1, Math.min(2, os.availableParallelism() - 1));
}

const cancelled = (name: string) => new AppError('CANCELLED', `${name}: cancelled`);

export class ComputePool<Tasks extends TaskMap> {
  private readonly size: number;
  private readonly terminateAfterMs: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: ComputePoolOptions) {
    this.size = Math.max(1, Math.floor(options.size ?? defaultPoolSize()));
    this.terminateAfterMs = options.terminateAfterMs ?? 50;
  }

  /** Runs task `name` in a worker; resolves with its result or rejects with its error. */
  run<K extends keyof Tasks & string>(name: K, args: Parameters<Tasks[K]>[0], options: RunOptions = {}): Promise<Awaited<ReturnType<Tasks[K]>>> {
    const { signal } = options;
    if (this.closed) return Promise.reject(new AppError('INTERNAL', `compute pool is closed (task "${name}")`));
    if (signal?.aborted) return Promise.reject(cancelled(name));
    return new Promise((resolve, reject) => {
      const doing = options.doing ?? `running "${name}"`;
      const task: Task = { id: this.nextId++, name, args, transfer: options.transfer ?? [], doing, resolve: resolve as (v: unknown) => void, reject, detach: () => {} };
      if (signal) {
        const onAbort = () => this.cancel(task);
        signal.addEventListener('abort', onAbort, { once: true });
        task.detach = () => signal.removeEventListener('abort', onAbort);
      }
      this.queue.push(task);
      this.dispatch();
    });
  }

  /** Workers currently started (for tests and diagnostics). */
  get workers(): number {
    return this.slots.length;
  }

  /** Process ids of the running workers and their tasks (processes only; tests, diagnostics). */
  get running(): { pid: number | undefined; task: string | null }[] {
    return this.slots.map((s) => ({ pid: s.worker.pid, task: s.task?.name ?? null }));
  }

  /** Called each time a task is sent to a worker (tests stop the worker right there, mid-task). */
  onDispatch: ((task: string, pid: number | undefined) => void) | null = null;

  /** Ends every worker; queued and running tasks fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.queue.splice(0)) this.settle(t, null, new AppError('CANCELLED', `${t.name}: the compute pool closed`));
    const slots = this.slots.splice(0);
    for (const s of slots) if (s.task) this.settle(s.task, null, new AppError('CANCELLED', `${s.task.name}: the compute pool closed`));
    await Promise.all(slots.map((s) => s.worker.end()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const slot = this.slots.find((s) => s.task === null) ?? (this.slots.length < this.size ? this.start() : null);
      if (!slot) return;
      const task = this.queue.shift()!;
      slot.task = task;
      slot.worker.ref(true);
      const message: TaskRequest = { id: task.id, name: task.name, args: task.args };
      try {
        slot.worker.post(message, task.transfer);
      } catch (e) {
        slot.task = null;
        this.settle(task, null, new AppError('INTERNAL', `could not send "${task.name}" to the compute ${this.kind}: ${(e as Error).message}`));
        continue;
      }
      this.onDispatch?.(task.name, slot.worker.pid);
    }
  }

  private get kind(): string {
    return this.options.isolation === 'process' ? 'process' : 'worker';
  }

  private start(): Slot {
    const slot: Slot = { worker: null as unknown as Endpoint, task: null };
    const events = {
      onMessage: (reply: TaskReply) => {
        const task = slot.task;
        if (!task || task.id !== reply.id) return;
        slot.task = null;
        slot.worker.ref(false);
        if (reply.ok) this.settle(task, reply.value, null);
        else this.settle(task, null, fromTaskError(reply.error));
        this.dispatch();
      },
      onGone: (why: string, details: Record<string, unknown>) => {
        const i = this.slots.indexOf(slot);
        if (i < 0) return;
        this.slots.splice(i, 1);
        const task = slot.task;
        slot.task = null;
        if (task) {
          const isProcess = this.options.isolation === 'process';
          // A process's end is the app's runtime failing (a fault in native code, memory); a thread's, a bug.
          this.settle(task, null, new AppError(isProcess ? 'RUNTIME_FAILED' : 'INTERNAL', `the compute ${why} while ${task.doing}${isProcess ? '; a fresh one starts on the next task' : ''}`, isProcess ? details : undefined));
        }
        if (!this.closed) this.dispatch();
      },
    };
    slot.worker = this.options.isolation === 'process' ? startProcess(this.options.entry, this.options.process ?? {}, events) : startThread(this.options.entry, events);
    this.slots.push(slot);
    return slot;
  }

  private cancel(task: Task): void {
    const queued = this.queue.indexOf(task);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.settle(task, null, cancelled(task.name));
      return;
    }
    const slot = this.slots.find((s) => s.task === task);
    if (!slot) return;
    // The caller hears at once; the worker finishes a short task (its reply is then ignored) or is
    // replaced when the task is long, so the next task does not wait behind abandoned work.
    this.settle(task, null, cancelled(task.name));
    setTimeout(() => {
      if (slot.task !== task) return;
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      slot.task = null;
      void slot.worker.end();
      this.dispatch();
    }, this.terminateAfterMs).unref();
  }

  private settle(task: Task, value: unknown, error: unknown): void {
    task.detach();
    const { resolve, reject } = task;
    // Settles once: a cancelled task's late reply (or its worker's exit) finds no-ops here.
    task.resolve = task.reject = () => {};
    if (error) reject(error);
    else resolve(value);
  }
}

function fromTaskError(e: TaskError): Error {
  const error = e.code ? new AppError(e.code, e.message, e.details) : Object.assign(new Error(e.message), { name: e.name });
  // The worker's stack says where the kernel failed; the caller's would only show this file.
  if (e.stack) error.stack = e.stack;
  return error;
}
