// The Probes view: its settings, the run's progress and its result.
import type { ProbeCheckpointsResult, ProbeResult } from '../../src-main/common/api-probe.ts';

export class ProbeState {
  /** 'default': every conv and hidden fc layer; 'all': every layer but the outputs. */
  layers = $state<'default' | 'all'>('default');
  folds = $state<number | null>(null);
  lambda = $state<number | null>(null);

  result = $state.raw<ProbeResult | null>(null);
  /** The model the result is of (a result of another model is not shown). */
  resultModel = $state<string | null>(null);
  running = $state(false);
  jobId = $state<string | null>(null);
  done = $state(0);
  total = $state(0);
  /** The stage in words (`Stage 1/2: features`) and what its count counts. */
  stage = $state<string | null>(null);
  unit = $state<string | null>(null);
  error = $state<string | null>(null);

}

/** The probes over the Training view's checkpoint set: the layers × checkpoints heatmap. */
export class CheckpointProbeState {
  result = $state.raw<ProbeCheckpointsResult | null>(null);
  running = $state(false);
  jobId = $state<string | null>(null);
  done = $state(0);
  total = $state(0);
  stage = $state<string | null>(null);
  unit = $state<string | null>(null);
  error = $state<string | null>(null);
  /** The cell under the pointer: [layer, checkpoint]. */
  hover = $state<[number, number] | null>(null);
}
