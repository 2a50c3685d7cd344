// The worker side of compute-pool.ts: a worker entry calls serveTasks with its task table, and each
// request runs one task; its result goes back with its typed arrays moved (not copied), its error
// with the code, message and details the caller would have seen from a direct call. The same in a
// child process (compute-endpoints.ts), over Node's IPC channel with structured clone: there the
// values are copied, not moved.
import { parentPort } from 'node:worker_threads';
import type { ErrorCode } from '../../common/errors.ts';
import type { TaskError, TaskMap, TaskReply, TaskRequest } from './compute-protocol.ts';

interface Port {
  on(event: 'message', listener: (request: TaskRequest) => void): void;
  postMessage(reply: TaskReply, transfer?: ArrayBuffer[]): void;
}

/** The parent as a port: the worker thread's own, or a forked process's IPC channel. */
function parent(): Port {
  if (parentPort) return parentPort as unknown as Port;
  const send = process.send?.bind(process);
  if (!send) throw new Error('serveTasks: neither in a worker thread nor in a forked process');
  // The app is gone: nothing is left to answer. A Ctrl-C reaches the whole process group; the app decides what it means.
  process.on('disconnect', () => process.exit(0));
  process.on('SIGINT', () => {});
  return {
    on: (_event, listener) => process.on('message', listener as (m: unknown) => void),
    postMessage: (reply) => {
      send(reply);
    },
  };
}

export function serveTasks(tasks: TaskMap): void {
  const port = parent();
  port.on('message', async ({ id, name, args }: TaskRequest) => {
    let reply: TaskReply;
    try {
      if (!Object.hasOwn(tasks, name)) throw new Error(`the compute worker has no task "${name}"`);
      reply = { id, ok: true, value: await tasks[name](args as never) };
    } catch (e) {
      reply = { id, ok: false, error: taskError(e) };
    }
    const transfer = reply.ok ? buffersOf(reply.value) : [];
    try {
      port.postMessage(reply, transfer);
    } catch (e) {
      if ((e as Error).name !== 'DataCloneError') throw e;
      // A buffer that cannot move (or a value that cannot be cloned at all): say so rather than hang the caller.
      try {
        port.postMessage(reply);
      } catch (e2) {
        port.postMessage({ id, ok: false, error: taskError(e2) } satisfies TaskReply);
      }
    }
  });
}

function taskError(e: unknown): TaskError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const { code, details } = e as { code?: unknown; details?: unknown };
  return {
    name: e.name,
    message: e.message,
    stack: e.stack,
    ...(typeof code === 'string' ? { code: code as ErrorCode } : {}),
    ...(details && typeof details === 'object' ? { details: details as Record<string, unknown> } : {}),
  };
}

/** The distinct ArrayBuffers under the typed arrays of a value (plain objects, arrays, Maps). */
function buffersOf(value: unknown, out = new Set<ArrayBuffer>()): ArrayBuffer[] {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer) out.add(value.buffer);
  } else if (Array.isArray(value)) {
    for (const v of value) buffersOf(v, out);
  } else if (value instanceof Map) {
    for (const v of value.values()) buffersOf(v, out);
  } else if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) buffersOf(v, out);
  }
  return [...out];
}
