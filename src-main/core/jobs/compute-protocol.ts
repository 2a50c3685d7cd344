// What compute-pool.ts and a worker's serveTasks (compute-serve.ts) say to each other.
import type { ErrorCode } from '../../common/errors.ts';

/** What a worker entry serves: task name → function of one structured-cloneable argument. */
export type TaskMap = Record<string, (args: never) => unknown>;

export interface TaskRequest {
  id: number;
  name: string;
  args: unknown;
}

export interface TaskError {
  name: string;
  message: string;
  code?: ErrorCode;
  details?: Record<string, unknown>;
  stack?: string;
}

export type TaskReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: TaskError };
