import { describe, expect, it } from 'vitest';
import { progressLine } from './progress.ts';

function fakeStream(isTTY: boolean): NodeJS.WriteStream & { out: string } {
  const s = { isTTY, out: '', write(chunk: string) { s.out += chunk; return true; } };
  return s as unknown as NodeJS.WriteStream & { out: string };
}

describe('CLI progress line', () => {
  it('rewrites one line with the count and unit on a terminal, and erases it at the end', () => {
    const s = fakeStream(true);
    const line = progressLine('positions', s)!;
    line.update(0, 225);
    line.update(225, 225);
    line.end();
    expect(s.out).toContain('\r\x1b[K0 / 225 positions');
    expect(s.out).toContain('225 / 225 positions');
    expect(s.out.endsWith('\r\x1b[K')).toBe(true);
  });

  it('says nothing when stderr is not a terminal', () => {
    expect(progressLine('images', fakeStream(false))).toBeUndefined();
  });
});
