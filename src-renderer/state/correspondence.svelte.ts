// The Correspondence view: the parts being edited (a name and, per image, a box in model-input
// pixels), which part is open, the run's settings, progress and result.
import type { CorrespondenceResult, PartSpec } from '../../src-main/common/api-correspondence.ts';

export class CorrespondenceState {
  parts = $state<PartSpec[]>([{ name: 'part 1', boxes: [] }]);
  /** The part being edited. */
  active = $state(0);
  /** Random-control draws and seed (DESIGN §3 defaults 10 and 0). */
  draws = $state(10);
  seed = $state(0);
  /** null: the default layers (last conv and last hidden fc, after their ReLUs). */
  layers = $state<string[] | null>(null);

  result = $state.raw<CorrespondenceResult | null>(null);
  running = $state(false);
  jobId = $state<string | null>(null);
  done = $state(0);
  total = $state(0);
  error = $state<string | null>(null);

  /** Model-input images by folder path (object URLs), for drawing boxes on. */
  inputs = $state<Record<string, string>>({});

  get part(): PartSpec | undefined {
    return this.parts[this.active];
  }
}
