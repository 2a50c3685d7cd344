// Images per second and time left of a running scan, from its progress events (the core reports
// done/total; the rate is measured here over a sliding window so it follows the current speed).

export interface RateSample {
  done: number;
  /** ms, any monotonic clock. */
  at: number;
}

export class RateMeter {
  private samples: RateSample[] = [];

  constructor(private readonly windowMs = 5000) {}

  reset(): void {
    this.samples = [];
  }

  add(done: number, at: number): void {
    const last = this.samples.at(-1);
    // A new run (done went back) starts a new measurement.
    if (last && done < last.done) this.samples = [];
    this.samples.push({ done, at });
    while (this.samples.length > 2 && at - this.samples[1].at > this.windowMs) this.samples.shift();
  }

  /** Images per second over the window; null until two samples apart in time. */
  rate(): number | null {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.at <= first.at || last.done <= first.done) return null;
    return ((last.done - first.done) * 1000) / (last.at - first.at);
  }

  /** Seconds left for `total`; null while the rate is unknown. */
  eta(total: number): number | null {
    const r = this.rate();
    const last = this.samples.at(-1);
    if (r === null || !last) return null;
    return Math.max(0, (total - last.done) / r);
  }
}

/** "42 s", "3 min 5 s", "1 h 2 min". */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
