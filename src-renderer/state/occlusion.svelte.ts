// The Occlusion view: occluder controls, the run's progress and result for the selected image, the
// model-input image under the heatmaps, and the faithfulness check of the chosen unit.
import type { FaithfulnessResult, OcclusionResult } from '../../src-main/common/api-occlusion.ts';

export class OcclusionState {
  /** null: the defaults (H/8, s/2). */
  size = $state<number | null>(null);
  stride = $state<number | null>(null);
  /** null: the true class, else the top-1. */
  targetClass = $state<number | null>(null);
  /** null: the strongest map of the last conv layer. */
  layer = $state<string | null>(null);
  channel = $state<number | null>(null);

  result = $state.raw<OcclusionResult | null>(null);
  running = $state(false);
  jobId = $state<string | null>(null);
  done = $state(0);
  total = $state(0);
  error = $state<string | null>(null);

  inputUrl = $state<string | null>(null);
  faith = $state.raw<FaithfulnessResult | null>(null);
  faithMaskUrl = $state<string | null>(null);
  faithRunning = $state(false);
  faithError = $state<string | null>(null);

  setInput(url: string | null): void {
    if (this.inputUrl) URL.revokeObjectURL(this.inputUrl);
    this.inputUrl = url;
  }

  setFaith(f: FaithfulnessResult | null, url: string | null): void {
    if (this.faithMaskUrl) URL.revokeObjectURL(this.faithMaskUrl);
    this.faith = f;
    this.faithMaskUrl = url;
  }
}
