// Progress of a long command on a terminal's stderr, one line rewritten in place:
// `37 / 256 images · 9.1/s · ETA 24 s`. Nothing when stderr is not a terminal (pipes, CI logs).
import { progressText, RateMeter } from '../common/progress-text.ts';

/** Erases the progress line, on a terminal only. */
export function clearLine(stream: NodeJS.WriteStream = process.stderr): string {
  return stream.isTTY ? '\r\x1b[K' : '';
}

export interface ProgressLine {
  update(done: number, total: number): void;
  /** Erases the line (the command's own output follows). */
  end(): void;
}

/** A line counting `unit`, at most ~10 redraws a second; undefined when stderr is not a terminal. */
export function progressLine(unit: string, stream: NodeJS.WriteStream = process.stderr): ProgressLine | undefined {
  if (!stream.isTTY) return undefined;
  const meter = new RateMeter();
  let last = 0;
  let shown = false;
  return {
    update(done, total) {
      const now = performance.now();
      meter.add(done, now);
      if (now - last < 100 && done < total) return;
      last = now;
      shown = true;
      stream.write(`\r\x1b[K${progressText(done, total, unit, meter.rate())}`);
    },
    end() {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}
