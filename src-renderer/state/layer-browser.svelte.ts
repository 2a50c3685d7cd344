// The layer browser: the chosen layer, its maps for the current image, the chosen map and its
// projection, and the "project all maps" batch. Object URLs held here are revoked when replaced.
import type { LayerActivations, ProjectionResult } from '../../src-main/common/api.ts';
import { layerScales, type HeatScale, type ScaleMode } from '../lib/heatmap.ts';
import { displayOrder } from '../lib/map-grid.ts';

export type ProjectionMode = 'single' | 'map';

export interface ShownProjection {
  /** The image it was projected for. */
  path: string;
  result: ProjectionResult;
  url: string;
}

export interface ShownImage {
  url: string;
  width: number;
  height: number;
}

export interface ProjectionThumb {
  channel: number;
  url: string;
  value: number;
  position: [number, number] | null;
}

export type BatchStatus = 'running' | 'cancelling' | 'done' | 'cancelled' | 'failed';

export interface Batch {
  layer: string;
  mode: ProjectionMode;
  total: number;
  done: number;
  status: BatchStatus;
  error: string | null;
  thumbs: Record<number, ProjectionThumb>;
  /** performance.now() when it started and when `done` last grew, for its rate. */
  startedAt: number;
  updatedAt: number;
}

export class LayerBrowser {
  layerId = $state<string | null>(null);
  /** The maps of `acts.layer` for the current image (or the previous image while `loadingActs`). */
  acts = $state.raw<LayerActivations | null>(null);
  /** The image `acts` belong to. */
  actsPath = $state<string | null>(null);
  actsError = $state<string | null>(null);
  loadingActs = $state(false);

  scaleMode = $state<ScaleMode>('shared');
  sortByMax = $state(false);
  /** Which grid the middle shows: the maps, or the projections of "project all maps". */
  grid = $state<'maps' | 'projections'>('maps');
  /** Columns the map grid shows (measured by it), for up/down moves. */
  cols = $state(1);

  channel = $state<number | null>(null);
  /** A position chosen in the enlarged map; null projects the map's argmax. */
  position = $state<[number, number] | null>(null);
  mode = $state<ProjectionMode>('single');
  projection = $state.raw<ShownProjection | null>(null);
  projectionError = $state<string | null>(null);
  loadingProjection = $state(false);

  input = $state.raw<ShownImage | null>(null);
  inputError = $state<string | null>(null);

  batch = $state.raw<Batch | null>(null);

  /** Activations of the chosen layer (not of a layer chosen before). */
  readonly maps = $derived(this.acts && this.acts.layer === this.layerId ? this.acts : null);
  readonly order: number[] = $derived(this.maps ? displayOrder(this.maps.maxima, this.sortByMax) : []);
  readonly scales: HeatScale[] = $derived(this.maps ? layerScales(this.maps.data, this.maps.dims, this.scaleMode) : []);

  setProjection(p: ShownProjection | null): void {
    const old = this.projection;
    this.projection = p;
    if (old && old.url !== p?.url) URL.revokeObjectURL(old.url);
  }

  setInput(img: ShownImage | null): void {
    const old = this.input;
    this.input = img;
    if (old && old.url !== img?.url) URL.revokeObjectURL(old.url);
  }

  /** Adds a batch's finished projections (a new object, so readers update). */
  addThumbs(thumbs: ProjectionThumb[], done: number): void {
    const b = this.batch;
    if (!b) return;
    const next = { ...b.thumbs };
    for (const t of thumbs) {
      const old = next[t.channel];
      if (old) URL.revokeObjectURL(old.url);
      next[t.channel] = t;
    }
    this.batch = { ...b, done, thumbs: next, updatedAt: performance.now() };
  }

  updateBatch(patch: Partial<Omit<Batch, 'thumbs'>>): void {
    if (this.batch) this.batch = { ...this.batch, ...patch };
  }

  clearBatch(): void {
    for (const t of Object.values(this.batch?.thumbs ?? {})) URL.revokeObjectURL(t.url);
    this.batch = null;
    this.grid = 'maps';
  }
}
