// The open folder's image list, fetched in pages on demand: a 10,000-image folder costs one small
// request before the first thumbnails show.

export interface Page<T> {
  total: number;
  entries: T[];
}

export type PageFetcher<T> = (offset: number, limit: number) => Promise<Page<T>>;

export class PageCache<T> {
  private readonly pages = new Map<number, T[]>();
  private readonly loading = new Map<number, Promise<void>>();
  private generation = 0;
  total: number;

  constructor(
    private readonly fetch: PageFetcher<T>,
    readonly pageSize = 200,
    total = 0,
    /** Called after a page arrives (e.g. to bump a reactive version). */
    private readonly onLoad: () => void = () => {},
    private readonly onError: (e: unknown) => void = () => {},
  ) {
    this.total = total;
  }

  /** The entry at `index` if its page is loaded. */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.total) return undefined;
    return this.pages.get(Math.floor(index / this.pageSize))?.[index % this.pageSize];
  }

  isLoaded(index: number): boolean {
    return this.pages.has(Math.floor(index / this.pageSize));
  }

  /** Page numbers covering items `start`..`end` (exclusive). */
  pagesFor(start: number, end: number): number[] {
    const s = Math.max(0, start);
    const e = Math.min(this.total, end);
    if (e <= s) return [];
    const out: number[] = [];
    for (let p = Math.floor(s / this.pageSize); p <= Math.floor((e - 1) / this.pageSize); p++) out.push(p);
    return out;
  }

  /** Loads whatever pages of the range are missing; resolves when all have arrived (or failed). */
  async ensure(start: number, end: number): Promise<void> {
    await Promise.all(this.pagesFor(start, end).map((p) => this.loadPage(p)));
  }

  /** Resolves to the entry at `index`, fetching its page if needed. */
  async get(index: number): Promise<T | undefined> {
    await this.ensure(index, index + 1);
    return this.at(index);
  }

  reset(total: number): void {
    this.generation++;
    this.pages.clear();
    this.loading.clear();
    this.total = total;
  }

  private loadPage(page: number): Promise<void> {
    if (this.pages.has(page)) return Promise.resolve();
    const existing = this.loading.get(page);
    if (existing) return existing;
    const generation = this.generation;
    const p = this.fetch(page * this.pageSize, this.pageSize)
      .then((result) => {
        if (generation !== this.generation) return;
        this.pages.set(page, result.entries);
        this.total = result.total;
        this.onLoad();
      })
      .catch((e: unknown) => {
        if (generation === this.generation) this.onError(e);
      })
      .finally(() => {
        if (this.loading.get(page) === p) this.loading.delete(page);
      });
    this.loading.set(page, p);
    return p;
  }
}
