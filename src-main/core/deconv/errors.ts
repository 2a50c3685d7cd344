// Errors of the deconv engine: values with a user-facing message naming the node, op and layer
// (DESIGN §4), carried across the API boundary by their code.
import { AppError } from '../../common/errors.ts';

/** An op on the reverse path that the deconvnet has no rule for (DESIGN §2, §3). */
export class UnsupportedOpError extends AppError {
  constructor(
    readonly node: string,
    readonly op: string,
    readonly layer: string,
    readonly input: string,
    why = 'Convscope cannot project through it',
  ) {
    super('MODEL_UNSUPPORTED', `node "${node}" (${op}) is on the path from "${layer}" to the input "${input}"; ${why}`, { node, op, layer, input });
    this.name = 'UnsupportedOpError';
  }
}

/** A request whose layer, channel, position, batch index or mode the model cannot serve (INVALID_ARGUMENT). */
export function invalidRequest(message: string, details?: Record<string, unknown>): AppError {
  return new AppError('INVALID_ARGUMENT', message, details);
}

/** Activations that do not fit the plan (a tensor missing or of the wrong shape, switches that do not fit). */
export function badRequest(message: string, details?: Record<string, unknown>): AppError {
  return new AppError('BAD_REQUEST', message, details);
}
