// Server mode logs one line per refused request or broken connection, never a stack per frame. A
// hostile local process can cause those lines at will, so they are also rate-limited.
export type Log = (line: string) => void;

export function rateLimitedLog(write: Log, limit = 20, windowMs = 10_000): Log {
  let windowStart = 0;
  let count = 0;
  let dropped = 0;
  return (line) => {
    const now = Date.now();
    if (now - windowStart >= windowMs) {
      if (dropped > 0) write(`convscope: ${dropped} more lines like these were not logged`);
      windowStart = now;
      count = 0;
      dropped = 0;
    }
    if (count++ < limit) write(`convscope: ${line}`);
    else dropped++;
  };
}

/**
 * The first line of an error's message, short: enough to recognise it, never a stack. Messages can
 * quote what a client sent (JSON.parse does), so control characters are masked: no forged log lines.
 */
export function brief(e: unknown): string {
  const code = (e as { code?: unknown })?.code;
  const message = e instanceof Error ? e.message : String(e);
  const first = message.split('\n', 1)[0].slice(0, 200).replace(/\p{Cc}/gu, '?');
  return typeof code === 'string' ? `${code}: ${first}` : first;
}
