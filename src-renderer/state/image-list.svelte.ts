// The open folder's images as the strip sees them: entries fetched in pages, and the selection.
import type { ImageEntry } from '../../src-main/common/types.ts';
import { PageCache, type PageFetcher } from '../lib/page-cache.ts';
import { clamp } from '../lib/virtual-window.ts';

export class ImageList {
  total = $state(0);
  selected = $state(-1);
  /** Identifies the folder listing; changes when another folder is opened. */
  folderKey = $state<string | null>(null);
  /** Bumped whenever a page arrives, so readers of `entryAt` re-run. */
  private version = $state(0);
  private readonly pages: PageCache<ImageEntry>;

  constructor(fetch: PageFetcher<ImageEntry>, onError: (e: unknown) => void, pageSize = 200) {
    this.pages = new PageCache<ImageEntry>(fetch, pageSize, 0, () => {
      this.total = this.pages.total;
      this.version++;
    }, onError);
  }

  entryAt(index: number): ImageEntry | undefined {
    void this.version;
    return this.pages.at(index);
  }

  get selectedEntry(): ImageEntry | undefined {
    return this.selected >= 0 ? this.entryAt(this.selected) : undefined;
  }

  /** Fetches the pages of a range of items that are about to be shown. */
  ensure(start: number, end: number): Promise<void> {
    return this.pages.ensure(start, end);
  }

  /** The entry at `index`, fetching its page when needed. */
  load(index: number): Promise<ImageEntry | undefined> {
    return this.pages.get(index);
  }

  reset(folderKey: string | null, total: number): void {
    this.pages.reset(total);
    this.folderKey = folderKey;
    this.total = total;
    this.selected = -1;
    this.version++;
  }

  clampIndex(index: number): number {
    return this.total === 0 ? -1 : clamp(index, 0, this.total - 1);
  }
}
