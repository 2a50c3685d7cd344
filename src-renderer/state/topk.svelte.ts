// The Top-9 view: what to scan, the scan's progress, its result, the chosen map's Fig. 2 tiles and
// the wall of the layer's maps. Object URLs held here are revoked when replaced.
import type { TopkQueueInfo, TopkScanResult, TopkTile } from '../../src-main/common/api-topk.ts';

export interface ShownTile extends Omit<TopkTile, 'patch' | 'projection' | 'projectionFull'> {
  patchUrl: string;
  projectionUrl: string | null;
}

export interface ScanProgress {
  jobId: string;
  done: number;
  total: number;
  rate: number | null;
  eta: number | null;
  cancelling: boolean;
}

export type WallSort = 'channel' | 'mean' | 'firing';

function revoke(tiles: readonly ShownTile[] | null | undefined): void {
  for (const t of tiles ?? []) {
    URL.revokeObjectURL(t.patchUrl);
    if (t.projectionUrl) URL.revokeObjectURL(t.projectionUrl);
  }
}

export class TopkState {
  /** 'conv': every conv layer at once; otherwise the chosen layer. */
  scope = $state<'layer' | 'conv'>('layer');
  layerId = $state<string | null>(null);
  k = $state(9);

  result = $state.raw<TopkScanResult | null>(null);
  /** Which result layer is shown (one of result.layers). */
  shownLayer = $state<string | null>(null);
  progress = $state<ScanProgress | null>(null);
  error = $state<string | null>(null);
  /** Where scans run (server mode with --redis: workers through Redis); null until asked. */
  queue = $state.raw<TopkQueueInfo | null>(null);
  queueError = $state<string | null>(null);

  channel = $state<number | null>(null);
  tiles = $state.raw<ShownTile[] | null>(null);
  tilesFor = $state<string | null>(null);
  loadingTiles = $state(false);
  tilesError = $state<string | null>(null);

  wall = $state(true);
  wallSort = $state<WallSort>('mean');
  /** Patch tiles of the wall, per channel of `shownLayer`. */
  wallTiles = $state.raw<Record<number, ShownTile[]>>({});

  readonly layer = $derived(this.result?.layers.find((l) => l.layer === this.shownLayer) ?? this.result?.layers[0] ?? null);

  setTiles(tiles: ShownTile[] | null, key: string | null): void {
    revoke(this.tiles);
    this.tiles = tiles;
    this.tilesFor = key;
  }

  addWall(channel: number, tiles: ShownTile[]): void {
    revoke(this.wallTiles[channel]);
    this.wallTiles = { ...this.wallTiles, [channel]: tiles };
  }

  clearWall(): void {
    for (const t of Object.values(this.wallTiles)) revoke(t);
    this.wallTiles = {};
  }
}
