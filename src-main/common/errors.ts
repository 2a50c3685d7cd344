// Errors cross every boundary as values: { ok: false, error: { code, message, details } }.
// Electron keeps only an Error's message across IPC, so nothing relies on Error instances there.

export type ErrorCode =
  /**
   * The request does not have the call's shape: not an object, a wrong JSON type, a field missing or
   * unknown (inside the core also: activations handed to the deconv engine that do not fit its plan).
   */
  | 'BAD_REQUEST'
  /** The request has the call's shape but a value is out of range (see common/arg-checks.ts). */
  | 'INVALID_ARGUMENT'
  | 'UNKNOWN_METHOD'
  | 'NO_MODEL'
  | 'NO_FOLDER'
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'CANCELLED'
  | 'RUNTIME_FAILED'
  | 'INPUT_MISMATCH'
  | 'MODEL_READ_FAILED'
  | 'MODEL_EMPTY'
  | 'MODEL_NOT_ONNX'
  | 'MODEL_EXTERNAL_DATA'
  | 'MODEL_NO_IMAGE_INPUT'
  | 'MODEL_UNSUPPORTED'
  | 'FOLDER_NOT_FOUND'
  | 'FOLDER_UNREADABLE'
  | 'FOLDER_EMPTY'
  | 'IMAGE_DECODE_FAILED'
  | 'IMAGE_TOO_LARGE'
  | 'IMAGE_UNREADABLE'
  | 'SIDECAR_INVALID'
  | 'NPY_INVALID'
  | 'NOT_CACHED'
  /** The scan queue (Redis, for scans spread over workers) cannot be reached or refused a request. */
  | 'QUEUE_UNREACHABLE'
  /** A shard of a scan spread over workers failed on every attempt. */
  | 'SHARD_FAILED'
  | 'INTERNAL';

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

/** An error meant for the user: the message names the file, node, op or image at fault. */
export class AppError extends Error {
  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** The error a client sees when a call fails: same shape on both transports. */
export class ApiError extends Error {
  constructor(public readonly info: ErrorInfo) {
    super(info.message);
    this.name = 'ApiError';
  }
  get code(): ErrorCode {
    return this.info.code;
  }
}

function hasCode(e: unknown): e is { code: string; message: string; details?: Record<string, unknown>; file?: string } {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' && typeof (e as { message?: unknown }).message === 'string';
}

const KNOWN = new Set<string>([
  'BAD_REQUEST', 'INVALID_ARGUMENT', 'UNKNOWN_METHOD', 'NO_MODEL', 'NO_FOLDER', 'NOT_FOUND', 'FORBIDDEN', 'CANCELLED', 'RUNTIME_FAILED',
  'INPUT_MISMATCH', 'MODEL_READ_FAILED', 'MODEL_EMPTY', 'MODEL_NOT_ONNX', 'MODEL_EXTERNAL_DATA', 'MODEL_NO_IMAGE_INPUT',
  'MODEL_UNSUPPORTED', 'FOLDER_NOT_FOUND', 'FOLDER_UNREADABLE', 'FOLDER_EMPTY', 'IMAGE_DECODE_FAILED', 'IMAGE_TOO_LARGE',
  'IMAGE_UNREADABLE', 'SIDECAR_INVALID', 'NPY_INVALID', 'NOT_CACHED', 'QUEUE_UNREACHABLE', 'SHARD_FAILED', 'INTERNAL',
]);

/** Turns anything thrown into the envelope's error part, keeping codes and the offending file. */
export function toErrorInfo(e: unknown): ErrorInfo {
  if (hasCode(e) && KNOWN.has(e.code)) {
    const details: Record<string, unknown> = { ...(e.details ?? {}) };
    if (typeof e.file === 'string') details.file = e.file;
    return { code: e.code as ErrorCode, message: e.message, ...(Object.keys(details).length ? { details } : {}) };
  }
  if (e instanceof Error) {
    if (e.name === 'AbortError') return { code: 'CANCELLED', message: 'Cancelled.' };
    return { code: 'INTERNAL', message: e.message || String(e) };
  }
  return { code: 'INTERNAL', message: String(e) };
}
