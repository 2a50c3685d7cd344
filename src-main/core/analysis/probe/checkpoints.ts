// Linear probes over a set of training checkpoints (issue 16: "how separability climbs through the
// layers as training goes on"): every checkpoint compared first (one architecture; opened one at a time), then
// each one's features gathered in one pass over the folder, then all the fits. Each checkpoint's
// block is exactly what `probeModel` gives for that file alone.
import type { ProbeResult } from '../../../common/api-probe.ts';
import { AppError } from '../../../common/errors.ts';
import { checkCheckpointSet, type CheckpointFile } from '../../model/checkpoints.ts';
import type { ModelSession } from '../../model/model-session.ts';
import { probeImages, DEFAULT_FOLDS } from './folds.ts';
import { fitProbes, gatherProbe, type GatheredProbe, type ProbeFolder, type ProbeOptions } from './run.ts';

export interface CheckpointProbeRun {
  /** In order (model/checkpoints.ts listCheckpoints). */
  checkpoints: readonly CheckpointFile[];
  /** A session of a checkpoint whose layers are measured (shapes known: the architecture check compares them). */
  open: (c: CheckpointFile) => Promise<ModelSession>;
  /** Called once per session opened, when its features are gathered or it was compared, or the run fails. */
  close?: (m: ModelSession) => Promise<void>;
  folder: Omit<ProbeFolder, 'load'>;
  /** Decoded and preprocessed input of a folder-relative path for that checkpoint (its own preprocessing). */
  load: (model: ModelSession, path: string) => Promise<Float32Array>;
  options?: ProbeOptions;
  /** Checkpoints opened, then images over checkpoints × images, then fits over checkpoints × layers × folds. */
  progress?: (stage: 'opening' | 'images' | 'fitting', done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface CheckpointProbe extends ProbeResult {
  file: string;
  name: string;
  epoch: number | null;
}

export async function probeCheckpoints(r: CheckpointProbeRun): Promise<{ checkpoints: CheckpointProbe[]; ms: number }> {
  const t0 = performance.now();
  if (r.checkpoints.length === 0) throw new AppError('NOT_FOUND', 'no checkpoint to probe');
  // An unlabelled folder fails before any model is opened.
  probeImages(r.folder.entries, r.options?.folds ?? DEFAULT_FOLDS, r.folder.root);
  let open: ModelSession | null = null;
  try {
    // All compared before any image is read (a mismatch fails at once), one open at a time.
    const first = await checkCheckpointSet(r.checkpoints, {
      open: r.open, close: r.close, onChecked: (d, t) => r.progress?.('opening', d, t), signal: r.signal,
    });
    open = first;
    const K = r.checkpoints.length;
    const gathered: GatheredProbe[] = [];
    for (const [i, c] of r.checkpoints.entries()) {
      r.signal?.throwIfAborted();
      const m: ModelSession = i === 0 ? first : await r.open(c);
      open = m;
      const g = await gatherProbe(m, { ...r.folder, load: (p) => r.load(m, p) }, r.options, (_, done, total) => {
        r.progress?.('images', i * total + done, K * total);
      }, r.signal);
      gathered.push(g);
      open = null;
      await r.close?.(m);
    }
    const results: CheckpointProbe[] = [];
    for (const [i, g] of gathered.entries()) {
      const c = r.checkpoints[i];
      const res = await fitProbes(g, (done, total) => r.progress?.('fitting', i * total + done, K * total), r.signal);
      results.push({ file: c.file, name: c.name, epoch: c.epoch, ...res });
    }
    return { checkpoints: results, ms: performance.now() - t0 };
  } catch (e) {
    throw r.signal?.aborted && (e as AppError).code !== 'CANCELLED' ? new AppError('CANCELLED', 'probe: cancelled') : e;
  } finally {
    if (open) await r.close?.(open).catch(() => {});
  }
}
