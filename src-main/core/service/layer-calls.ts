// The layer browser's calls: the model's input as it sees it, a layer's maps for an image, and
// deconvnet projections of its units or maps (DESIGN §3).
import type { AppCalls } from '../../common/api.ts';
import { invalidArgument } from '../../common/arg-checks.ts';
import { AppError } from '../../common/errors.ts';
import { quoted } from '../../common/text.ts';
import type { LayerInfo } from '../../common/types.ts';
import { layerMapsOf, requestProblem, toDisplay } from '../deconv/index.ts';
import { encodePng } from '../images/index.ts';
import { layerMaps, receptiveFieldBox, tensorToPixels } from '../model/pixels.ts';
import type { AppContext } from './app-context.ts';

/** Layers the runtime cannot return (bool, float16, …) are listed but not tapped, so never measured. */
function requireReadable(layer: LayerInfo): void {
  if (layer.shape.length === 0) {
    throw new AppError('MODEL_UNSUPPORTED', `layer ${quoted(layer.id)} (${layer.op}) holds values Convscope cannot read (not float or int64)`, { layer: layer.id });
  }
}

export function layerCalls(ctx: AppContext): Pick<AppCalls, 'modelInput' | 'layerActivations' | 'project'> {
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
      // The deconv engine's own check of a request (deconv/request.ts), answered in the API's words.
      const maps = layerMapsOf(arg.layer, layer.shape);
      arg.targets.forEach((t, i) => {
        const p = requestProblem({ channel: t.channel, mode: arg.mode, position: t.position }, maps, arg.layer);
        if (p) throw invalidArgument('project', `targets[${i}].${p.argument}`, p.must, p.value);
      });
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
          png: await encodePng({ width: p.dims[2], height: p.dims[1], channels: p.dims[0] === 1 ? 1 : 3, data: toDisplay(p.data, p.dims) }),
          box: p.position && layer.receptiveField ? receptiveFieldBox(layer.receptiveField, p.position, H, W) : null,
          skipped: p.skipped,
          ms: p.ms,
          backend: p.backend,
        })),
      );
    },
  };
}
