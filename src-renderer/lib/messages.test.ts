import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src-main/common/errors.ts';
import { isCancelled, toUserError } from './messages.ts';
import { CancelledError } from './thumbnail-loader.ts';

describe('toUserError', () => {
  it('keeps the core’s message, code and details', () => {
    const e = new ApiError({ code: 'FOLDER_EMPTY', message: '/tmp/x contains no images', details: { file: '/tmp/x' } });
    expect(toUserError(e)).toEqual({ message: '/tmp/x contains no images', code: 'FOLDER_EMPTY', details: { file: '/tmp/x' } });
    expect(toUserError(e, 'Could not open folder').message).toBe('Could not open folder: /tmp/x contains no images');
  });

  it('handles plain errors, error-shaped objects and anything else', () => {
    expect(toUserError(new Error('boom'))).toEqual({ message: 'boom', code: null });
    expect(toUserError({ message: 'shaped', info: { code: 'NO_MODEL' } })).toEqual({ message: 'shaped', code: 'NO_MODEL' });
    expect(toUserError('text')).toEqual({ message: 'text', code: null });
  });

  it('recognises cancellations', () => {
    expect(isCancelled(new ApiError({ code: 'CANCELLED', message: 'Cancelled.' }))).toBe(true);
    expect(isCancelled(new CancelledError())).toBe(true);
    expect(isCancelled(new Error('x'))).toBe(false);
  });
});
