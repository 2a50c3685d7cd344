// When a running scan saves its states, so that a crash or `kill -9` (no `finally` runs) loses at
// most one interval of work. The interval is in time, not images: what a user loses is time, and
// images per second range from a few (big models on CPU) to thousands (small ones on a GPU).
// A save writes every handled image's path, so on big folders it costs more; waiting at least 20
// times as long as the last save took keeps checkpoints under 5% of the scan whatever the folder.

/** Default seconds between checkpoints; $CONVSCOPE_CHECKPOINT_SECONDS overrides (tests use a fraction of a second). */
export const DEFAULT_CHECKPOINT_SECONDS = 10;
const COST_FACTOR = 20;

export function checkpointIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const s = Number(env.CONVSCOPE_CHECKPOINT_SECONDS);
  return env.CONVSCOPE_CHECKPOINT_SECONDS !== undefined && env.CONVSCOPE_CHECKPOINT_SECONDS !== '' && Number.isFinite(s) && s >= 0 ? s * 1000 : DEFAULT_CHECKPOINT_SECONDS * 1000;
}

export class Checkpoints {
  private last: number;
  private lastCost = 0;

  constructor(
    private readonly save: () => Promise<void>,
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.last = now();
  }

  /** Whether a checkpoint is due now. */
  due(): boolean {
    return this.now() - this.last >= Math.max(this.intervalMs, COST_FACTOR * this.lastCost);
  }

  /** Saves if due (called after each batch). */
  async maybe(): Promise<void> {
    if (!this.due()) return;
    const t0 = this.now();
    await this.save();
    this.last = this.now();
    this.lastCost = this.last - t0;
  }
}
