// Runs an async task for the latest request only: requests arriving while one runs replace each
// other, and only the last is run next. Holding an arrow key thus never queues up a backlog of work.

export class LatestOnly<T> {
  private running = false;
  private next: { arg: T } | null = null;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly task: (arg: T) => Promise<void>) {}

  /** The most recent request; a task can compare against it to drop stale results. */
  latest: T | undefined;

  request(arg: T): void {
    this.latest = arg;
    if (this.running) {
      this.next = { arg };
      return;
    }
    void this.loop(arg);
  }

  get busy(): boolean {
    return this.running;
  }

  /** Resolves once nothing is running or waiting. */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async loop(first: T): Promise<void> {
    this.running = true;
    let arg: T | null = first;
    while (arg !== null) {
      try {
        await this.task(arg);
      } catch {
        // The task reports its own errors.
      }
      const n: { arg: T } | null = this.next;
      this.next = null;
      arg = n ? n.arg : null;
    }
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
