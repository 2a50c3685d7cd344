// The invariance API calls, over the core's analysis functions. A sweep call covers the images it is
// given (the view streams by calling per image or per few images); each call is a job, so it reports
// progress and a client-supplied jobId cancels it.
import type { ModelInputImage } from '../../common/api.ts';
import {
  DEFAULT_CONSISTENCY_SEED, DEFAULT_PAIRS_PER_IMAGE, defaultInvarianceLayers, defaultMaxShift,
  type InvarianceCalls, type InvarianceSweepArg, type InvarianceSweepResult, type ShiftConsistencyArg, type ShiftConsistencyResult, type TransformKind,
} from '../../common/api-invariance.ts';
import { checkInt, invalidArgument } from '../../common/arg-checks.ts';
import { thetaProblem } from '../../common/schemas-invariance.ts';
import type { SkippedFile } from '../../common/types.ts';
import { sweepBatchSize, sweepForward, sweepSteps, shiftConsistency, sweepImages, transformInput } from '../analysis/invariance/index.ts';
import { encodePng } from '../images/index.ts';
import { inputWhy } from './arg-limits.ts';
import type { ServiceContext } from './context.ts';
import type { ModelSession } from '../model/model-session.ts';
import { tensorToPixels } from '../model/pixels.ts';

function inputDims(model: ModelSession): [number, number, number] {
  const { channels, height, width } = model.info.input;
  return [channels, height, width];
}

/** θ against the open model's input size (the schema checked it against any model's). */
function checkTheta(method: string, name: string, model: ModelSession, kind: TransformKind, theta: number): void {
  const problem = thetaProblem(kind, theta, [model.info.input.height, model.info.input.width]);
  if (problem) throw invalidArgument(method, name, problem, theta);
}

export function classLabels(model: ModelSession): string[] {
  return Array.from({ length: model.info.numClasses }, (_, i) => model.label(i));
}

export function invarianceCalls(ctx: ServiceContext): InvarianceCalls {
  return {
    async invarianceSweep(arg: InvarianceSweepArg): Promise<InvarianceSweepResult> {
      const model = ctx.requireModel();
      arg.thetas.forEach((theta, i) => checkTheta('invarianceSweep', `thetas[${i}]`, model, arg.transform, theta));
      const layers = arg.layers ?? defaultInvarianceLayers(model.info.layers);
      for (const l of layers) ctx.requireLayer(model, l);
      const items = await Promise.all(arg.paths.map(async (p) => ({ path: p, className: (await ctx.imageFile(p)).entry.className })));
      const t0 = performance.now();
      const label = `Invariance sweep (${arg.transform}, ${arg.paths.length} image${arg.paths.length === 1 ? '' : 's'})`;
      // Progress counts steps (transformed inputs through the model), reported after each pass: a
      // sweep of one image on a big model moves rather than sitting at `0 / 1`.
      const steps = sweepSteps(arg);
      let stepsDone = 0;
      // Loading the sweep's copy of the model belongs to the job: it can be cancelled from the start.
      // Kept by id as a whole result: a page reloaded mid-sweep re-attaches to it (jobs, jobResult).
      const { jobId: _jobId, ...args } = arg;
      return ctx.jobs.runKept('invariance', args, label, items.length * steps, async (job) => {
        const images = await sweepImages(items, async (item) => (await ctx.inputTensor(item.path)).tensor, await sweepForward(model, layers), {
          transform: arg.transform,
          thetas: arg.thetas,
          layers,
          outputIsProbability: model.outputIsProbability,
          dims: inputDims(model),
          labels: model.info.labels,
          numClasses: model.info.numClasses,
          label: (i) => model.label(i),
          batchSize: sweepBatchSize(steps, inputDims(model).reduce((a, b) => a * b, 1)),
          signal: job.signal,
          onSteps: (n) => job.progress((stepsDone += n)),
        });
        return { transform: arg.transform, thetas: arg.thetas, layers, labels: classLabels(model), images, ms: performance.now() - t0 };
      }, arg.jobId, 'steps');
    },

    async invarianceInput({ path, transform, theta }: { path: string; transform: TransformKind; theta: number }): Promise<ModelInputImage> {
      const model = ctx.requireModel();
      checkTheta('invarianceInput', 'theta', model, transform, theta);
      const dims = inputDims(model);
      const { tensor } = await ctx.inputTensor(path);
      const px = tensorToPixels(transformInput(tensor, dims, transform, theta), dims, model.info.preprocessing);
      return { png: await encodePng({ width: dims[2], height: dims[1], channels: px.channels, data: px.data }), width: dims[2], height: dims[1] };
    },

    async shiftConsistency(arg: ShiftConsistencyArg): Promise<ShiftConsistencyResult> {
      const model = ctx.requireModel();
      // A shift by the smaller side moves the whole image out on that axis.
      checkInt('shiftConsistency', 'maxShift', arg.maxShift, 0, Math.min(model.info.input.height, model.info.input.width), inputWhy(model));
      const paths = arg.paths ?? ctx.requireFolder().entries.map((e) => e.path);
      for (const p of paths) await ctx.imageFile(p);
      const dims = inputDims(model);
      const maxShift = arg.maxShift ?? defaultMaxShift([dims[1], dims[2]]);
      const pairsPerImage = arg.pairsPerImage ?? DEFAULT_PAIRS_PER_IMAGE;
      const seed = arg.seed ?? DEFAULT_CONSISTENCY_SEED;
      const skipped: SkippedFile[] = [];
      const t0 = performance.now();
      const counts = await ctx.jobs.run(`Shift consistency (${paths.length} images)`, paths.length, async (job) =>
        shiftConsistency(paths.length, async (i) => (await ctx.inputTensor(paths[i])).tensor, await model.forwardAt([]), {
          dims, output: model.info.outputs[0].name, maxShift, pairsPerImage, seed,
          signal: job.signal,
          onProgress: (done) => job.progress(done),
          onFailure: (i, message) => skipped.push({ path: paths[i], reason: message }),
        }), arg.jobId, 'images');
      return {
        consistency: counts.pairs ? counts.agree / counts.pairs : 0,
        ...counts, maxShift, pairsPerImage, seed, skipped, ms: performance.now() - t0,
      };
    },
  };
}
