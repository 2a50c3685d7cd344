// The occlusion API calls: occlusion sensitivity of one image and the faithfulness check of a
// projection, over the core's analysis functions. Neither waits for a running top-k scan: they
// count no images of the folder, so they cannot disturb a scan's states.
import type { FaithfulnessResult, OcclusionCalls, OcclusionResult } from '../../common/api-occlusion.ts';
import { encodePng, matchClassToLabel } from '../images/index.ts';
import { lastConvLayerId, resolveScanLayer } from '../analysis/topk/layers.ts';
import { runFaithfulness, runOcclusion } from '../analysis/occlusion/run.ts';
import { occlusionGeometry } from '../analysis/occlusion/grid.ts';
import { checkChannel, checkClass, checkOccluder, checkPosition } from './arg-limits.ts';
import type { ServiceContext } from './context.ts';

export function occlusionCalls(ctx: ServiceContext): OcclusionCalls {
  return {
    async occlusion({ path, jobId, ...o }): Promise<OcclusionResult> {
      const model = ctx.requireModel();
      checkOccluder('occlusion', model, o.size, o.stride);
      checkClass('occlusion', 'targetClass', o.targetClass, model);
      const layer = o.layer ?? lastConvLayerId(model.info.layers);
      if (layer !== null) checkChannel('occlusion', 'channel', o.channel, layer, resolveScanLayer(model.info.layers, layer, model.info.name).dims);
      const { tensor, entry } = await ctx.inputTensor(path);
      const trueClass = entry.className === null ? null : matchClassToLabel(entry.className, model.info.labels);
      // The grid's size is known now: the job counts positions from its first event.
      const { height, width } = model.info.input;
      const { rows, cols } = occlusionGeometry(height, width, o.size, o.stride);
      // Kept by id: a page reloaded mid-job re-attaches to it (jobs, jobResult).
      return ctx.jobs.runKept('occlusion', { path, ...o }, `Occlusion of ${path}`, rows * cols,
        (job) => runOcclusion(model, tensor, path, { ...o, trueClass, signal: job.signal, onProgress: (d, t) => job.progress(d, t) }), jobId, 'positions');
    },

    async occlusionFaithfulness({ path, ...o }): Promise<FaithfulnessResult> {
      const model = ctx.requireModel();
      const { dims } = resolveScanLayer(model.info.layers, o.layer, model.info.name);
      checkChannel('occlusionFaithfulness', 'channel', o.channel, o.layer, dims);
      checkPosition('occlusionFaithfulness', 'position', o.position, o.layer, dims);
      checkOccluder('occlusionFaithfulness', model, o.size, undefined);
      const { tensor } = await ctx.inputTensor(path);
      const r = await runFaithfulness(model, tensor, path, ctx.keepId(model, path), o);
      const { maskPixels, ...rest } = r;
      const { height, width } = model.info.input;
      return { ...rest, mask: await encodePng({ width, height, channels: 1, data: maskPixels }) };
    },
  };
}
