import { basename } from 'node:path';
import { truncateText } from '../../common/text.ts';

export type ModelErrorCode =
  | 'MODEL_READ_FAILED'
  | 'MODEL_EMPTY'
  | 'MODEL_NOT_ONNX'
  | 'MODEL_EXTERNAL_DATA'
  | 'MODEL_NO_IMAGE_INPUT'
  | 'MODEL_UNSUPPORTED';

/** A model that can't be used, with a message for the user that names the file (and node, tensor or op). */
export class ModelError extends Error {
  constructor(
    public code: ModelErrorCode,
    message: string,
    public file: string,
    public details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ModelError';
  }
}

/** The name to show in messages: the file's base name, or what the caller passed if it's not a path (truncated: it may come from a request). */
export function displayName(file: string): string {
  return truncateText(basename(file) || file);
}
