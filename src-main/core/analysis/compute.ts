// The analyses' compute pool: map reductions and spectra run in worker threads, never on the thread
// that routes messages. One pool per process, started on first use; its workers idle unref'd, so
// nothing needs closing for a CLI to exit.
import { ComputePool } from '../jobs/compute-pool.ts';
import type { AnalysisTasks } from './compute-tasks.ts';

function workerEntry(): URL {
  const here = import.meta.url;
  // From sources the pool boots the .ts entry through tsx; bundled, compute-worker.js sits beside this chunk.
  return new URL(here.endsWith('.ts') ? './compute-worker.ts' : './compute-worker.js', here);
}

let pool: ComputePool<AnalysisTasks> | null = null;

export function analysisPool(): ComputePool<AnalysisTasks> {
  return (pool ??= new ComputePool<AnalysisTasks>({ entry: workerEntry() }));
}
