// The main thread's event-loop delay while some work runs: how long a click or a WebSocket message
// would wait at worst. Compared with the same process sitting idle for as long, since on a loaded
// machine the OS alone holds a thread up for milliseconds at a time.
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface LoopDelay {
  /** Largest delay seen, ms. */
  max: number;
  p99: number;
  /** Wall time of the work, ms. */
  ms: number;
}

export async function loopDelayDuring(work: () => Promise<unknown>): Promise<LoopDelay> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  await work();
  const ms = performance.now() - t0;
  h.disable();
  return { max: h.max / 1e6, p99: h.percentile(99) / 1e6, ms };
}

export const idleLoopDelay = (ms: number) => loopDelayDuring(() => new Promise((r) => setTimeout(r, ms)));

export const LOOP_TARGET_MS = 20;

/** "target < 20 ms", or that and "not met". */
export const loopTarget = (max: number) => `target < ${LOOP_TARGET_MS} ms${max < LOOP_TARGET_MS ? '' : ': not met'}`;
