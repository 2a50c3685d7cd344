// The invariance view's runs (one per transform) from its sweep job: as the job's parts arrive, and
// from its whole result. One job runs every transform over every image, so a reloaded page rebuilds
// the same runs from the job's arguments, its parts so far and then its result.
import type { InvariancePart, InvarianceSweepsArg, InvarianceSweepsResult } from '../../src-main/common/api-invariance.ts';
import type { RunState, RunStatus } from '../state/invariance.svelte.ts';

/** The runs a job's arguments ask for, before anything of them is done. */
export function runsFor(args: Pick<InvarianceSweepsArg, 'paths' | 'sweeps' | 'layers'>, layers: string[]): RunState[] {
  return args.sweeps.map((s) => ({
    transform: s.transform, thetas: s.thetas, layers: args.layers ?? layers, labels: [], images: [], total: args.paths.length, status: 'waiting', error: null,
  }));
}

const open = (s: RunStatus) => s === 'waiting' || s === 'running' || s === 'cancelling';

/**
 * The runs once `parts` arrived: a run that starts is running and the one before it done (unless it
 * failed); images join their run in order; an error ends its run.
 */
export function applyParts(runs: readonly RunState[], parts: readonly InvariancePart[]): RunState[] {
  const out = runs.map((r) => ({ ...r, images: [...r.images] }));
  for (const p of parts) {
    const run = out[p.run];
    if (!run) continue;
    if (p.part === 'start') {
      for (const r of out.slice(0, p.run)) if (open(r.status)) r.status = 'done';
      run.labels = p.labels;
      // A run cancelled before it started stays so.
      if (run.status === 'waiting') run.status = 'running';
    } else if (p.part === 'image') run.images.push(p.image);
    else Object.assign(run, { status: 'failed', error: p.message });
  }
  return out;
}

/** The runs of the finished job: every image, and each run done or failed with its message. */
export function runsFromResult(result: InvarianceSweepsResult, total: number): RunState[] {
  return result.runs.map((r) => ({
    transform: r.transform, thetas: r.thetas, layers: r.layers, labels: r.labels, images: r.images, total,
    status: r.error ? 'failed' : 'done', error: r.error?.message ?? null,
  }));
}

/** The runs after the job ended early: cancelled, or failed with `message`, where they had not ended. */
export function endRuns(runs: readonly RunState[], status: 'cancelled' | 'failed', message: string | null = null): RunState[] {
  return runs.map((r) => (open(r.status) ? { ...r, status, error: status === 'failed' ? message : r.error } : r));
}
