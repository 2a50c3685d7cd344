// The probe API call: linear probes per layer of the open model on the open (labelled) folder, a
// kept job (a reloaded page re-attaches to it) with progress over images, then layers × folds.
import type { ProbeCalls, ProbeResult } from '../../common/api-probe.ts';
import { checkInt } from '../../common/arg-checks.ts';
import { probeImages, DEFAULT_FOLDS } from '../analysis/probe/folds.ts';
import { probePlan, probeModel } from '../analysis/probe/run.ts';
import type { ServiceContext } from './context.ts';

export function probeCalls(ctx: ServiceContext): ProbeCalls {
  return {
    async probe({ jobId, ...o }): Promise<ProbeResult> {
      const model = ctx.requireModel();
      const folder = ctx.requireFolder();
      // Checked before the job starts: a bad layer or an unlabelled folder fails the call itself.
      const plan = probePlan(model.info.layers, model.info.outputs.map((x) => x.name), model.info.name, o.layers);
      const perClass = new Map<string, number>();
      for (const e of folder.entries) if (e.className !== null) perClass.set(e.className, (perClass.get(e.className) ?? 0) + 1);
      // Fold k − 1 gets an image only when some class has k of them.
      const most = Math.max(0, ...perClass.values());
      if (most >= 2) checkInt('probe', 'folds', o.folds, 2, most, `the largest class of the open folder has ${most} images`);
      const images = probeImages(folder.entries, o.folds ?? DEFAULT_FOLDS, folder.root);
      const label = `Linear probes of ${plan.layers.length} layer${plan.layers.length === 1 ? '' : 's'}`;
      return ctx.jobs.runKept('probe', o, label, images.paths.length, (job) =>
        probeModel(model, { root: folder.root, entries: folder.entries, load: async (p) => (await ctx.inputTensor(p)).tensor }, o,
          (stage, done, total) => job.progress(done, total, stage === 'images' ? 'gathering features' : 'fitting layer × fold'), job.signal), jobId, 'images');
    },
  };
}
