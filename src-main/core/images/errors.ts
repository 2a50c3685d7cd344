// Errors from image folders, files, sidecars and .npy files. They cross the API boundary as
// `{ code, message, details }` envelopes (DESIGN §1), so the message must stand on its own:
// it names the file and says what is wrong.

export type ImageErrorCode =
  | 'FOLDER_NOT_FOUND'
  | 'FOLDER_UNREADABLE'
  | 'IMAGE_DECODE_FAILED'
  | 'IMAGE_TOO_LARGE'
  | 'IMAGE_UNREADABLE'
  | 'SIDECAR_INVALID'
  | 'NPY_INVALID';

export class ImageError extends Error {
  override name = 'ImageError';

  constructor(
    public code: ImageErrorCode,
    message: string,
    /** The offending file or folder (full path as given by the caller). */
    public file: string,
    public details?: Record<string, unknown>,
  ) {
    super(message);
  }

  /** The envelope form used where errors cross a transport. */
  toJSON(): { code: ImageErrorCode; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: { file: this.file, ...this.details } };
  }
}

/** Node's errno code of an fs error, if it has one. */
export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
