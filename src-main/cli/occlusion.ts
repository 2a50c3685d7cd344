// `convscope occlusion` (Fig. 7's occlusion maps for one image).
import path from 'node:path';
import { matchClassToLabel } from '../core/images/index.ts';
import { runOcclusion } from '../core/analysis/occlusion/run.ts';
import { progressLine } from './progress.ts';
import { lastConvLayerId, resolveScanLayer, scanTensors } from '../core/analysis/topk/layers.ts';
import type { OpenOptions } from '../core/model/model-session.ts';
import { checkChannel, checkClass, checkOccluder } from '../core/service/arg-limits.ts';
import { intOption, parse, required, UsageError } from './args.ts';
import { common, print, withModel, type CommandGroup } from './common.ts';
import { readModelInput } from './input.ts';

const USAGE = `Occlusion:
  convscope occlusion --model M (--image I | --tensor T.npy) [--size s] [--stride t]
                      [--class c] [--layer L --channel C] [--json]

  occlusion a square of side s (default H/8) filled with 0 (the mean) slides with stride t (default
            s/2) over the preprocessed input; per position P(class) (--class, else the true class
            from the image's folder name, else the top-1), the top-1 class, and the total activity
            of map C of layer L (default the strongest map of the last conv layer).`;

async function occlusion(argv: string[]): Promise<void> {
  const values = parse(argv, {
    ...common, image: { type: 'string' }, tensor: { type: 'string' }, size: { type: 'string' }, stride: { type: 'string' },
    class: { type: 'string' }, layer: { type: 'string' }, channel: { type: 'string' },
  });
  if (values.help) return void console.log(USAGE);
  const size = intOption(values, 'size', 1);
  const stride = intOption(values, 'stride', 1);
  const targetClass = intOption(values, 'class', 0);
  const channel = intOption(values, 'channel', 0);
  const layer = values.layer as string | undefined;
  if ((layer === undefined) !== (channel === undefined)) throw new UsageError('give --layer and --channel together');
  // The one copy of the model loaded outputs just the activity map's tensor (the strongest map is read from it too).
  const reads: OpenOptions['rewrite'] = (g) => {
    const id = layer ?? lastConvLayerId(g.layers);
    return { kind: 'outputs', tensors: id === null ? [] : scanTensors(g.layers, [id], path.basename(required(values, 'model'))) };
  };
  await withModel(values, async (m) => {
    // The same limits as the app's occlusion call, against this model (exit 2 with the message).
    checkOccluder('occlusion', m, size, stride);
    checkClass('occlusion', 'targetClass', targetClass, m);
    if (layer !== undefined) checkChannel('occlusion', 'channel', channel, layer, resolveScanLayer(m.info.layers, layer, m.info.name).dims);
    const input = await readModelInput(m, values.image as string | undefined, values.tensor as string | undefined);
    let trueClass: number | null = null;
    if ('image' in input.source) trueClass = matchClassToLabel(path.basename(path.dirname(input.source.image)), m.info.labels);
    const source = 'image' in input.source ? input.source.image : input.source.tensor;
    const line = progressLine('positions');
    const r = await runOcclusion(m, input.tensor, source, { size, stride, targetClass, trueClass, layer, channel, onProgress: line && ((d, t) => line.update(d, t)) }).finally(() => line?.end());
    const [rows, cols] = r.grid;
    const grid = <T extends ArrayLike<number>>(a: T) => Array.from({ length: rows }, (_, y) => Array.from({ length: cols }, (_, x) => a[y * cols + x]));
    const json = {
      ...input.source,
      size: r.size,
      stride: r.stride,
      grid: r.grid,
      targetClass: r.targetClass,
      targetLabel: r.targetLabel,
      targetSource: r.targetSource,
      layer: r.layer,
      tensor: r.tensor,
      channel: r.channel,
      base: r.base,
      labels: r.labels,
      pClass: grid(r.pClass),
      top1: grid(r.top1),
      activity: grid(r.activity),
      ms: r.ms,
    };
    print(Boolean(values.json), json, () => {
      let min = 0;
      for (let i = 1; i < r.pClass.length; i++) if (r.pClass[i] < r.pClass[min]) min = i;
      return [
        `occluder ${r.size}×${r.size} px, stride ${r.stride}: ${rows}×${cols} positions`,
        `target ${r.targetLabel} (${r.targetSource}): P = ${r.base.pClass.toFixed(4)} unoccluded, lowest ${r.pClass[min].toFixed(4)} at (${Math.floor(min / cols) * r.stride}, ${(min % cols) * r.stride})`,
        `activity of ${r.layer} map ${r.channel}: ${r.base.activity.toFixed(3)} unoccluded`,
      ].join('\n');
    });
  }, reads);
}

export const occlusionGroup: CommandGroup = { usage: USAGE, commands: { occlusion } };
