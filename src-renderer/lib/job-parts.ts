// A kept job's parts (jobParts), taken as its progress events arrive: one request at a time, each
// from the count already taken, so nothing is taken twice or skipped, however the events bunch up.

export class PartsFollower<P> {
  private taken = 0;
  private chain: Promise<void> = Promise.resolve();
  private queued: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly fetch: (from: number) => Promise<P[]>,
    private readonly onParts: (parts: P[], from: number) => void,
  ) {}

  /** Parts handed over so far. */
  get count(): number {
    return this.taken;
  }

  /**
   * Asks for the parts not taken yet, after any request in flight; a call while one waits to start
   * joins it. Resolves once that request has handed its parts over (a failed request hands none).
   */
  pull(): Promise<void> {
    if (this.queued) return this.queued;
    const next = this.chain.then(async () => {
      this.queued = null;
      if (this.stopped) return;
      const parts = await this.fetch(this.taken);
      if (this.stopped || parts.length === 0) return;
      const from = this.taken;
      this.taken += parts.length;
      this.onParts(parts, from);
    }).catch(() => {});
    this.queued = next;
    this.chain = next;
    return next;
  }

  /** Hands over nothing more (the whole result is in, or the page moved on). */
  stop(): void {
    this.stopped = true;
  }
}
