import { afterEach, describe, expect, it, vi } from 'vitest';
import { brief, rateLimitedLog } from './log.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('rateLimitedLog', () => {
  it('writes at most `limit` lines per window, then says how many it dropped', () => {
    vi.useFakeTimers();
    const out: string[] = [];
    const log = rateLimitedLog((l) => out.push(l), 2, 1000);
    for (let i = 0; i < 5; i++) log(`line ${i}`);
    expect(out).toEqual(['convscope: line 0', 'convscope: line 1']);
    vi.advanceTimersByTime(1000);
    log('later');
    expect(out.slice(2)).toEqual(['convscope: 3 more lines like these were not logged', 'convscope: later']);
  });
});

describe('brief', () => {
  it('keeps the code and the first line of the message, never a stack', () => {
    const e = Object.assign(new Error('Invalid WebSocket frame: RSV1 must be clear\nmore'), { code: 'WS_ERR_UNEXPECTED_RSV_1' });
    expect(brief(e)).toBe('WS_ERR_UNEXPECTED_RSV_1: Invalid WebSocket frame: RSV1 must be clear');
    expect(brief('x'.repeat(500))).toHaveLength(200);
    expect(brief(null)).toBe('null');
    expect(brief(new Error('Unexpected token "\r\u001b[31mfake line"'))).toBe('Unexpected token "??[31mfake line"');
  });
});
