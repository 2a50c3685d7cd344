// The probe API calls: linear probes per layer of the open model on the open (labelled) folder, and
// of each checkpoint of a set (the Training view's), both kept jobs (a reloaded page re-attaches to
// them) with progress over images, then layers × folds.
import type { ProbeCalls, ProbeCheckpointsResult, ProbeResult } from '../../common/api-probe.ts';
import { checkInt } from '../../common/arg-checks.ts';
import type { ImageEntry } from '../../common/types.ts';
import { probeCheckpoints } from '../analysis/probe/checkpoints.ts';
import { probeImages, DEFAULT_FOLDS } from '../analysis/probe/folds.ts';
import { probePlan, probeModel } from '../analysis/probe/run.ts';
import { decodeImage, preprocess } from '../images/index.ts';
import { listCheckpoints } from '../model/checkpoints.ts';
import type { JobContext } from '../jobs/jobs.ts';
import { CheckpointSessions } from './checkpoint-sessions.ts';
import type { ServiceContext } from './context.ts';

/** Fold k − 1 gets an image only when some class has k of them: checked before a job starts. */
function checkFolds(call: string, entries: readonly ImageEntry[], folds: number | undefined): void {
  const perClass = new Map<string, number>();
  for (const e of entries) if (e.className !== null) perClass.set(e.className, (perClass.get(e.className) ?? 0) + 1);
  const most = Math.max(0, ...perClass.values());
  if (most >= 2) checkInt(call, 'folds', folds, 2, most, `the largest class of the open folder has ${most} images`);
}

/** Probes count in two stages: the features of every image, then a fit per layer and fold. */
const PROBE_STAGES = {
  images: { name: 'features', count: { step: 1, steps: 2, unit: 'images' } },
  fitting: { name: 'fits (layer × fold)', count: { step: 2, steps: 2, unit: 'fits' } },
} as const;
const stageProgress = (job: { progress: JobContext['progress'] }) => (stage: 'images' | 'fitting', done: number, total: number) =>
  job.progress(done, total, PROBE_STAGES[stage].name, PROBE_STAGES[stage].count);

/** Over checkpoints, one stage more first: the checkpoints opened (and compared) before any image is read. */
const CHECKPOINT_STAGES = {
  opening: { name: 'opening checkpoints', count: { step: 1, steps: 3, unit: 'checkpoints' } },
  images: { name: PROBE_STAGES.images.name, count: { ...PROBE_STAGES.images.count, step: 2, steps: 3 } },
  fitting: { name: PROBE_STAGES.fitting.name, count: { ...PROBE_STAGES.fitting.count, step: 3, steps: 3 } },
} as const;
const checkpointStageProgress = (job: { progress: JobContext['progress'] }) => (stage: keyof typeof CHECKPOINT_STAGES, done: number, total: number) =>
  job.progress(done, total, CHECKPOINT_STAGES[stage].name, CHECKPOINT_STAGES[stage].count);

export function probeCalls(ctx: ServiceContext): ProbeCalls {
  return {
    async probe({ jobId, ...o }): Promise<ProbeResult> {
      const model = ctx.requireModel();
      const folder = ctx.requireFolder();
      // Checked before the job starts: a bad layer or an unlabelled folder fails the call itself.
      const plan = probePlan(model.info.layers, model.info.outputs.map((x) => x.name), model.info.name, o.layers);
      checkFolds('probe', folder.entries, o.folds);
      const images = probeImages(folder.entries, o.folds ?? DEFAULT_FOLDS, folder.root);
      const label = `Linear probes of ${plan.layers.length} layer${plan.layers.length === 1 ? '' : 's'}`;
      return ctx.jobs.runKept('probe', o, label, images.paths.length, (job) =>
        probeModel(model, { root: folder.root, entries: folder.entries, load: async (p) => (await ctx.inputTensor(p)).tensor }, o,
          stageProgress(job), job.signal), jobId, 'images');
    },

    async probeCheckpoints({ jobId, ...o }): Promise<ProbeCheckpointsResult> {
      const folder = ctx.requireFolder();
      const { checkpoints: sources, ...options } = o;
      const checkpoints = await listCheckpoints(sources);
      checkFolds('probeCheckpoints', folder.entries, o.folds);
      const images = probeImages(folder.entries, o.folds ?? DEFAULT_FOLDS, folder.root);
      // Layers checked against the first checkpoint before the job starts, as `probe` checks them.
      const sessions = await CheckpointSessions.start(ctx, checkpoints);
      await sessions.check(({ info }) => probePlan(info.layers, info.outputs.map((x) => x.name), info.name, options.layers));
      const label = `Linear probes over ${checkpoints.length} checkpoint${checkpoints.length === 1 ? '' : 's'}`;
      return sessions.during(() =>
        ctx.jobs.runKept('probeCheckpoints', o, label, checkpoints.length * images.paths.length, async (job) => {
          const r = await probeCheckpoints({
            checkpoints,
            // A session the app holds is reused (a second one of an open file would share, and release, its runtime key).
            open: sessions.open,
            close: sessions.close,
            folder: { root: folder.root, entries: folder.entries },
            load: async (m, rel) => {
              const { file } = await ctx.imageFile(rel);
              return preprocess(await decodeImage(file, { channels: m.info.input.channels }), m.info.preprocessing);
            },
            options,
            progress: checkpointStageProgress(job),
            signal: job.signal,
          });
          return { checkpoints: r.checkpoints, ms: r.ms };
        }, jobId, 'images'));
    },
  };
}
