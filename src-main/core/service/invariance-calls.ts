// The invariance API calls, over the core's analysis functions. `invarianceSweeps` runs the view's
// whole sweep (every transform over every image) as one kept job that a reloaded page re-attaches to;
// `invarianceSweep` is one transform as a plain job. Both report progress in steps, and a
// client-supplied jobId cancels them.
import type { ModelInputImage } from '../../common/api.ts';
import {
  DEFAULT_CONSISTENCY_SEED, DEFAULT_PAIRS_PER_IMAGE, defaultInvarianceLayers, defaultMaxShift,
  type InvarianceCalls, type InvarianceImageResult, type InvarianceRunResult, type InvarianceSweepArg, type InvarianceSweepResult,
  type InvarianceSweepSpec, type InvarianceSweepsArg, type InvarianceSweepsResult, type ShiftConsistencyArg, type ShiftConsistencyResult,
  type TransformKind,
} from '../../common/api-invariance.ts';
import { toErrorInfo } from '../../common/errors.ts';
import { checkInt, invalidArgument } from '../../common/arg-checks.ts';
import { thetaProblem } from '../../common/schemas-invariance.ts';
import type { SkippedFile } from '../../common/types.ts';
import {
  sweepBatchSize, sweepForward, sweepSteps, shiftConsistency, sweepImages, transformInput, type SweepForward, type SweepItem,
} from '../analysis/invariance/index.ts';
import type { JobContext } from '../jobs/jobs.ts';
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
  /** Checks what a sweep names (θ against the model's input, layers, images) before any job starts. */
  async function prepare(method: string, sweeps: InvarianceSweepSpec[], paths: string[], layerIds: string[] | undefined) {
    const model = ctx.requireModel();
    sweeps.forEach((s, i) => s.thetas.forEach((theta, j) => checkTheta(method, method === 'invarianceSweep' ? `thetas[${j}]` : `sweeps[${i}].thetas[${j}]`, model, s.transform, theta)));
    const layers = layerIds ?? defaultInvarianceLayers(model.info.layers);
    for (const l of layers) ctx.requireLayer(model, l);
    const items = await Promise.all(paths.map(async (p) => ({ path: p, className: (await ctx.imageFile(p)).entry.className })));
    return { model, layers, items };
  }

  /**
   * One transform's sweep of `items`. Progress counts steps (transformed inputs through the model),
   * reported after each pass, from `stepsBefore`: a sweep of one image on a big model moves rather
   * than sitting at `0 / 1`.
   */
  async function sweepOne(
    model: ModelSession, forward: SweepForward, items: SweepItem[], layers: string[], sweep: InvarianceSweepSpec,
    job: JobContext, stepsBefore: number, onImage?: (result: InvarianceImageResult) => void,
  ): Promise<InvarianceImageResult[]> {
    let stepsDone = stepsBefore;
    const dims = inputDims(model);
    return sweepImages(items, async (item) => (await ctx.inputTensor(item.path)).tensor, forward, {
      transform: sweep.transform,
      thetas: sweep.thetas,
      layers,
      outputIsProbability: model.outputIsProbability,
      dims,
      labels: model.info.labels,
      numClasses: model.info.numClasses,
      label: (i) => model.label(i),
      batchSize: sweepBatchSize(sweepSteps(sweep), dims.reduce((a, b) => a * b, 1)),
      signal: job.signal,
      onSteps: (n) => job.progress((stepsDone += n)),
      onImage: onImage && ((_, result) => onImage(result)),
    });
  }

  const imagesText = (n: number) => `${n} image${n === 1 ? '' : 's'}`;

  return {
    async invarianceSweep(arg: InvarianceSweepArg): Promise<InvarianceSweepResult> {
      const sweep = { transform: arg.transform, thetas: arg.thetas };
      const { model, layers, items } = await prepare('invarianceSweep', [sweep], arg.paths, arg.layers);
      const t0 = performance.now();
      // Loading the sweep's copy of the model belongs to the job: it can be cancelled from the start.
      return ctx.jobs.run(`Invariance sweep (${arg.transform}, ${imagesText(items.length)})`, items.length * sweepSteps(sweep), async (job) => {
        const images = await sweepOne(model, await sweepForward(model, layers), items, layers, sweep, job, 0);
        return { transform: arg.transform, thetas: arg.thetas, layers, labels: classLabels(model), images, ms: performance.now() - t0 };
      }, arg.jobId, 'steps');
    },

    async invarianceSweeps(arg: InvarianceSweepsArg): Promise<InvarianceSweepsResult> {
      const { model, layers, items } = await prepare('invarianceSweeps', arg.sweeps, arg.paths, arg.layers);
      const t0 = performance.now();
      const steps = arg.sweeps.map((s) => items.length * sweepSteps(s));
      const label = `Invariance sweep (${arg.sweeps.map((s) => s.transform).join(', ')}, ${imagesText(items.length)})`;
      const { jobId: _jobId, ...args } = arg;
      // Kept by id as a whole: a page reloaded mid-sweep re-attaches to it (jobs, jobParts, jobResult).
      return ctx.jobs.runKept('invariance', args, label, steps.reduce((a, b) => a + b, 0), async (job) => {
        const forward = await sweepForward(model, layers);
        const labels = classLabels(model);
        const runs: InvarianceRunResult[] = [];
        let stepsBefore = 0;
        for (const [run, sweep] of arg.sweeps.entries()) {
          const r0 = performance.now();
          job.part({ run, part: 'start', labels });
          const images: InvarianceImageResult[] = [];
          const result: InvarianceRunResult = { transform: sweep.transform, thetas: sweep.thetas, layers, labels, images, ms: 0 };
          try {
            await sweepOne(model, forward, items, layers, sweep, job, stepsBefore, (image) => {
              images.push(image);
              job.part({ run, part: 'image', image });
            });
          } catch (e) {
            // An image that cannot be read stops its sweep, as it did one call per sweep; the next sweep still runs.
            const info = toErrorInfo(e);
            if (job.signal.aborted || info.code === 'CANCELLED') throw e;
            const error = { code: info.code, message: info.message };
            job.part({ run, part: 'error', ...error });
            result.error = error;
          }
          result.ms = performance.now() - r0;
          runs.push(result);
          stepsBefore += steps[run];
          job.progress(stepsBefore);
        }
        return { runs, ms: performance.now() - t0 };
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
