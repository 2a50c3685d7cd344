// A long batch as a sequence of small calls: one chunk in flight at a time, results handed over as
// each chunk finishes, and a cancel that stops issuing further chunks (the one in flight still lands).

export type ChunkedStatus = 'done' | 'cancelled' | 'failed';

export interface ChunkedOutcome {
  status: ChunkedStatus;
  /** Items whose results were handed over. */
  done: number;
  error?: unknown;
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const n = Math.max(1, Math.floor(size));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}

export class ChunkedRun<T, R> {
  private stopped = false;

  constructor(
    private readonly items: readonly T[],
    private readonly size: number,
    private readonly run: (chunk: T[]) => Promise<R[]>,
    private readonly onChunk: (results: R[], done: number, total: number) => void,
  ) {}

  get cancelled(): boolean {
    return this.stopped;
  }

  cancel(): void {
    this.stopped = true;
  }

  async start(): Promise<ChunkedOutcome> {
    let done = 0;
    for (const part of chunk(this.items, this.size)) {
      if (this.stopped) return { status: 'cancelled', done };
      let results: R[];
      try {
        results = await this.run(part);
      } catch (error) {
        return { status: 'failed', done, error };
      }
      done += part.length;
      this.onChunk(results, done, this.items.length);
    }
    return { status: this.stopped && done < this.items.length ? 'cancelled' : 'done', done };
  }
}
