// The layer browser's calls: the model's input as it sees it, a layer's maps for an image, and
// deconvnet projections of its units or maps (DESIGN §3), one request at a time or every map of a
// layer as a kept job.
import type { AppCalls, ProjectedMap, ProjectionTarget } from '../../common/api.ts';
import { invalidArgument } from '../../common/arg-checks.ts';
import { AppError } from '../../common/errors.ts';
import { quoted } from '../../common/text.ts';
import type { LayerInfo } from '../../common/types.ts';
import { layerMapsOf, requestProblem, toDisplay } from '../deconv/index.ts';
import { encodePng } from '../images/index.ts';
import { throwIfCancelled } from '../jobs/jobs.ts';
import { layerMaps, receptiveFieldBox, tensorToPixels } from '../model/pixels.ts';
import type { AppContext } from './app-context.ts';

/** A projection as the views show it: v / max|v| around grey, as PNG. */
function displayPng(data: Float32Array, dims: [number, number, number]): Promise<Uint8Array> {
  return encodePng({ width: dims[2], height: dims[1], channels: dims[0] === 1 ? 1 : 3, data: toDisplay(data, dims) });
}

/** Layers the runtime cannot return (bool, float16, …) are listed but not tapped, so never measured. */
function requireReadable(layer: LayerInfo): void {
  if (layer.shape.length === 0) {
    throw new AppError('MODEL_UNSUPPORTED', `layer ${quoted(layer.id)} (${layer.op}) holds values Convscope cannot read (not float or int64)`, { layer: layer.id });
  }
}

/** The deconv engine's own check of each request (deconv/request.ts), answered in the API's words. */
function checkTargets(
  method: string, layerId: string, layer: LayerInfo, mode: 'single' | 'map', targets: ProjectionTarget[], name: (i: number, argument: string) => string,
): void {
  const maps = layerMapsOf(layerId, layer.shape);
  targets.forEach((t, i) => {
    const p = requestProblem({ channel: t.channel, mode, position: t.position }, maps, layerId);
    if (p) throw invalidArgument(method, name(i, p.argument), p.must, p.value);
  });
}

/** Maps per projection pass of "project all maps" (on ZF's conv5, 8, 16 and 32 took the same time). */
export const PROJECT_ALL_CHUNK = 8;

export function layerCalls(ctx: AppContext): Pick<AppCalls, 'modelInput' | 'layerActivations' | 'project' | 'projectAll'> {
  return {
    async modelInput({ path: rel }) {
      const model = ctx.requireModel();
      const { tensor } = await ctx.inputTensor(rel);
      const { channels, height, width } = model.info.input;
      const px = tensorToPixels(tensor, [channels, height, width], model.info.preprocessing);
      return { png: await encodePng({ width, height, channels: px.channels, data: px.data }), width, height };
    },

    async layerActivations({ path: rel, layer }) {
      const model = ctx.requireModel();
      requireReadable(ctx.requireLayer(model, layer));
      const t0 = performance.now();
      const { tensor } = await ctx.inputTensor(rel);
      // The maps now; what a click on one projects through, in the background (layer browser).
      const out = await model.keep(ctx.keepId(model, rel), tensor, [layer], 1, [layer], true);
      return layerMaps(layer, out[layer], performance.now() - t0);
    },

    async project(arg) {
      const model = ctx.requireModel();
      const layer = ctx.requireLayer(model, arg.layer);
      requireReadable(layer);
      checkTargets('project', arg.layer, layer, arg.mode, arg.targets, (i, a) => `targets[${i}].${a}`);
      const { height: H, width: W } = model.info.input;
      const requests = arg.targets.map((t) => ({ layer: arg.layer, channel: t.channel, mode: arg.mode, position: t.position }));
      const projections = await model.project(ctx.keepId(model, arg.path), async () => (await ctx.inputTensor(arg.path)).tensor, requests);
      return Promise.all(
        projections.map(async (p) => ({
          layer: p.layer,
          channel: p.channel,
          mode: p.mode,
          position: p.position,
          value: p.value,
          dims: p.dims,
          data: p.data,
          png: await displayPng(p.data, p.dims),
          box: p.position && layer.receptiveField ? receptiveFieldBox(layer.receptiveField, p.position, H, W) : null,
          skipped: p.skipped,
          ms: p.ms,
          backend: p.backend,
        })),
      );
    },

    async projectAll({ jobId, ...arg }) {
      const model = ctx.requireModel();
      const layer = ctx.requireLayer(model, arg.layer);
      requireReadable(layer);
      checkTargets('projectAll', arg.layer, layer, arg.mode, arg.channels.map((channel) => ({ channel })), (i) => `channels[${i}]`);
      const id = ctx.keepId(model, arg.path);
      const tensor = async () => (await ctx.inputTensor(arg.path)).tensor;
      const label = `Projecting ${arg.channels.length} maps of ${arg.layer}`;
      // Kept by id: a page reloaded mid-batch re-attaches to it (jobs, jobParts, jobResult).
      return ctx.jobs.runKept('projectAll', arg, label, arg.channels.length, async (job) => {
        const maps: ProjectedMap[] = [];
        for (let i = 0; i < arg.channels.length; i += PROJECT_ALL_CHUNK) {
          throwIfCancelled(job.signal, label);
          const requests = arg.channels.slice(i, i + PROJECT_ALL_CHUNK).map((channel) => ({ layer: arg.layer, channel, mode: arg.mode }));
          const done = await Promise.all((await model.project(id, tensor, requests)).map(async (p) => ({
            channel: p.channel,
            position: p.position,
            value: p.value,
            png: await displayPng(p.data, p.dims),
          })));
          maps.push(...done);
          job.part({ maps: done });
          job.progress(maps.length);
        }
        return { ...arg, maps };
      }, jobId, 'maps');
    },
  };
}
