// How a long job's progress reads, the same in the app's running-jobs strip and on the CLI's stderr:
// `37 / 256 maps · 9.1/s · ETA 24 s`. Rates are measured by the reader (renderer or CLI) from the
// counts the core reports; this file only words them.

/** Items per second: one decimal below 10 (`9.1/s`), whole above (`42/s`); below 0.1 as seconds per item. */
export function formatRate(perSecond: number | null): string {
  if (perSecond === null || !Number.isFinite(perSecond) || perSecond <= 0) return '';
  if (perSecond < 0.1) return `${(1 / perSecond).toFixed(0)} s each`;
  return `${perSecond < 10 ? perSecond.toFixed(1) : Math.round(perSecond).toLocaleString('en')}/s`;
}

/** Time left, rounded up to whole seconds: `ETA 24 s`, `ETA 3 min 05 s`, `ETA 1 h 02 min`. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '';
  const s = Math.ceil(seconds);
  if (s < 60) return `ETA ${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `ETA ${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `ETA ${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** `37 / 256 maps`, or `37 / 256` without a unit. */
export function formatCount(done: number, total: number, unit?: string): string {
  const n = `${done.toLocaleString('en')} / ${total.toLocaleString('en')}`;
  return unit ? `${n} ${unit}` : n;
}

/** Seconds left at `perSecond`; null while the rate is unknown. */
export function etaSeconds(done: number, total: number, perSecond: number | null): number | null {
  if (perSecond === null || !(perSecond > 0)) return null;
  return Math.max(0, (total - done) / perSecond);
}

/** The whole line: count, then rate and ETA once known. */
export function progressText(done: number, total: number, unit: string | undefined, perSecond: number | null): string {
  const parts = [formatCount(done, total, unit), formatRate(perSecond)];
  if (done < total) parts.push(formatEta(etaSeconds(done, total, perSecond)));
  return parts.filter((p) => p !== '').join(' · ');
}

/**
 * Items per second over a sliding window, so the rate follows the current speed. A count that goes
 * back starts a new measurement.
 */
export class RateMeter {
  private samples: { done: number; at: number }[] = [];

  constructor(private readonly windowMs = 5000) {}

  reset(): void {
    this.samples = [];
  }

  /** `at`: ms on any monotonic clock. */
  add(done: number, at: number): void {
    const last = this.samples.at(-1);
    if (last && done < last.done) this.samples = [];
    this.samples.push({ done, at });
    while (this.samples.length > 2 && at - this.samples[1].at > this.windowMs) this.samples.shift();
  }

  /** Items per second; null until two samples with progress between them. */
  rate(): number | null {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.at <= first.at || last.done <= first.done) return null;
    return ((last.done - first.done) * 1000) / (last.at - first.at);
  }

  /** Seconds left for `total`; null while the rate is unknown. */
  eta(total: number): number | null {
    const last = this.samples.at(-1);
    return last ? etaSeconds(last.done, total, this.rate()) : null;
  }
}
