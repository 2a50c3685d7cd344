// What the user reads when something fails: the core's own message (it names the file, node or op
// at fault), or a plain sentence for failures that never reached the core.
import { ApiError, type ErrorCode } from '../../src-main/common/errors.ts';

export interface UserError {
  message: string;
  code: ErrorCode | null;
  details?: Record<string, unknown>;
}

export function toUserError(e: unknown, context?: string): UserError {
  let message: string;
  let code: ErrorCode | null = null;
  let details: Record<string, unknown> | undefined;
  if (e instanceof ApiError) {
    message = e.info.message;
    code = e.info.code;
    details = e.info.details;
  } else if (e instanceof Error) {
    message = e.message || e.name;
  } else if (typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string') {
    // An ApiError that crossed a realm boundary loses its class but keeps its shape.
    const o = e as { message: string; code?: unknown; info?: { code?: ErrorCode; details?: Record<string, unknown> } };
    message = o.message;
    code = o.info?.code ?? (typeof o.code === 'string' ? (o.code as ErrorCode) : null);
    details = o.info?.details;
  } else {
    message = String(e);
  }
  if (context) message = `${context}: ${message}`;
  return { message, code, ...(details ? { details } : {}) };
}

export function isCancelled(e: unknown): boolean {
  return (e instanceof ApiError && e.code === 'CANCELLED') || (e instanceof Error && e.name === 'CancelledError');
}
