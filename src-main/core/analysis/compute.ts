// The analyses' compute pools: map reductions and spectra run in worker threads, never on the thread
// that routes messages; the probe fit, which runs onnxruntime's Gemm, runs in a child process, so
// that onnxruntime never loads in the app's own process (README, "Security"). One pool of each per
// process, started on first use; their workers idle unref'd, so nothing needs closing for a CLI to exit.
import { ComputePool } from '../jobs/compute-pool.ts';
import { runtimeEnv } from '../runtime/process-env.ts';
import { defaultMemoryLimitMb, residentMb } from '../runtime/process-host.ts';
import type { ProcessTasks } from './compute-process-tasks.ts';
import type { AnalysisTasks } from './compute-tasks.ts';

/** From sources a pool boots the .ts entry through tsx; bundled, the .js entry sits beside this chunk. */
function entry(name: string): URL {
  const here = import.meta.url;
  return new URL(here.endsWith('.ts') ? `./${name}.ts` : `./${name}.js`, here);
}

let pool: ComputePool<AnalysisTasks> | null = null;
let processPool: ComputePool<ProcessTasks> | null = null;

export function analysisPool(): ComputePool<AnalysisTasks> {
  return (pool ??= new ComputePool<AnalysisTasks>({ entry: entry('compute-worker') }));
}

/**
 * The compute process: one (a fit already uses every core through onnxruntime's threads), started on
 * first use and again after a crash, stopped over the runtime process's memory limit
 * (CONVSCOPE_RUNTIME_MEMORY_MB) and when its task is cancelled.
 */
export function analysisProcessPool(): ComputePool<ProcessTasks> {
  return (processPool ??= new ComputePool<ProcessTasks>({
    entry: entry('compute-process'),
    size: 1,
    isolation: 'process',
    process: { env: runtimeEnv(), memoryLimitMb: defaultMemoryLimitMb(), residentMb, memoryVariable: 'CONVSCOPE_RUNTIME_MEMORY_MB' },
  }));
}
