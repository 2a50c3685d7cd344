// The invariance view: which images, transform, range and layers; the sweeps as their images arrive;
// the hovered point's transformed input; shift consistency. Object URLs held here are revoked when replaced.
import type { ShiftConsistencyResult, ThetaRangeSpec, TransformKind } from '../../src-main/common/api-invariance.ts';
import type { ImageEntry } from '../../src-main/common/types.ts';
import type { DistanceScale, SweepRun } from '../lib/invariance-series.ts';

export type ImageSource = 'current' | 'selection' | 'per-class';
export type RunStatus = 'waiting' | 'running' | 'cancelling' | 'done' | 'cancelled' | 'failed';

export interface RunState extends SweepRun {
  /** Images asked for. */
  total: number;
  status: RunStatus;
  error: string | null;
}

/** A point under the pointer: run (column), image (−1: the mean) and θ index. */
export interface HoverPoint {
  run: number;
  image: number;
  t: number;
}

export interface HoverImage {
  key: string;
  url: string | null;
  error: string | null;
}

export interface ConsistencyState {
  status: 'running' | 'cancelling' | 'done' | 'cancelled' | 'failed';
  result: ShiftConsistencyResult | null;
  error: string | null;
}

export class InvarianceState {
  source = $state<ImageSource>('current');
  perClassN = $state(1);
  /** Images added to the selection (source 'selection'). */
  selection = $state.raw<ImageEntry[]>([]);
  transform = $state<TransformKind>('translate-y');
  ranges = $state<Record<TransformKind, ThetaRangeSpec> | null>(null);
  layers = $state.raw<string[]>([]);
  scale = $state<DistanceScale>('absolute');

  runs = $state.raw<RunState[]>([]);
  /** Resolving the image source (n per class pages through the folder). */
  choosing = $state(false);
  chooseError = $state<string | null>(null);

  hover = $state.raw<HoverPoint | null>(null);
  hoverImage = $state.raw<HoverImage | null>(null);

  consistencyPairs = $state(5);
  consistencyShift = $state<number | null>(null);
  consistency = $state.raw<ConsistencyState | null>(null);

  readonly running = $derived(this.runs.some((r) => r.status === 'running' || r.status === 'cancelling' || r.status === 'waiting'));
  /** The sweep job's steps (transformed inputs through the model) over all its transforms and images, from its progress events. */
  step = $state.raw<{ done: number; total: number } | null>(null);
  /** Before the job's first event: about θ per image over every run. */
  readonly steps = $derived(this.step ?? { done: 0, total: this.runs.reduce((s, r) => s + r.total * r.thetas.length, 0) });

  readonly imagesDone = $derived(this.runs.reduce((s, r) => s + r.images.length, 0));
  readonly imagesTotal = $derived(this.runs.reduce((s, r) => s + r.total, 0));

  updateRun(i: number, patch: Partial<RunState>): void {
    this.runs = this.runs.map((r, k) => (k === i ? { ...r, ...patch } : r));
  }

  setHoverImage(h: HoverImage | null): void {
    const old = this.hoverImage;
    this.hoverImage = h;
    if (old?.url && old.url !== h?.url) URL.revokeObjectURL(old.url);
  }

  setRange(kind: TransformKind, patch: Partial<ThetaRangeSpec>): void {
    if (this.ranges) this.ranges = { ...this.ranges, [kind]: { ...this.ranges[kind], ...patch } };
  }
}
