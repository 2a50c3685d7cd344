// The Training view (feature evolution across checkpoints, Fig. 4): the checkpoint set, the figure's
// settings, the run's progress, and its result with the pictures as object URLs.
import type { EvolutionCheckpointList, EvolutionResult } from '../../src-main/common/api-evolution.ts';

/** A result's pictures as object URLs, per map row and checkpoint column. */
export interface TrainingTileUrls {
  projection: string;
  patch: string;
}

export class TrainingState {
  /** Folders and files as the user added them; the core orders them. */
  sources = $state<string[]>([]);
  /** The set as the core ordered it, with its layers; null until sources are given. */
  list = $state.raw<EvolutionCheckpointList | null>(null);
  listError = $state<string | null>(null);
  layer = $state<string | null>(null);
  maps = $state(8);
  seed = $state(0);
  /** Comma-separated channels; empty: the seeded subset. */
  channels = $state('');

  result = $state.raw<EvolutionResult | null>(null);
  urls = $state.raw<TrainingTileUrls[][]>([]);
  running = $state(false);
  cancelling = $state(false);
  jobId = $state<string | null>(null);
  done = $state(0);
  total = $state(0);
  /** The stage in words (`Stage 1/2: opening checkpoints`) and what its count counts. */
  stage = $state<string | null>(null);
  unit = $state<string | null>(null);
  error = $state<string | null>(null);
  /** The cell under the pointer: [row, column]. */
  hover = $state<[number, number] | null>(null);

  setResult(r: EvolutionResult | null, urls: TrainingTileUrls[][]): void {
    for (const row of this.urls) for (const u of row) {
      URL.revokeObjectURL(u.projection);
      URL.revokeObjectURL(u.patch);
    }
    this.result = r;
    this.urls = urls;
    this.hover = null;
  }
}
