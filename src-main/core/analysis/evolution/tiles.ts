// A feature-evolution cell as the view shows it (Fig. 4, with Fig. 2's hover): the image patch under
// the position's receptive field and the projection, cropped to the same box and whole, as PNGs.
import type { EvolutionTile } from '../../../common/api-evolution.ts';
import { AppError } from '../../../common/errors.ts';
import { quoted } from '../../../common/text.ts';
import { toDisplay } from '../../deconv/index.ts';
import { encodePng } from '../../images/index.ts';
import type { ModelSession } from '../../model/model-session.ts';
import { receptiveFieldBox, tensorToPixels } from '../../model/pixels.ts';
import { cropPixels } from '../topk/tiles.ts';
import type { EvolutionCell } from './run.ts';

/** The tile of `cell`; `input` is the preprocessed C×H×W image the checkpoint saw. */
export async function evolutionTile(model: ModelSession, tensor: string, cell: EvolutionCell, input: Float32Array, index: number): Promise<EvolutionTile> {
  const rf = model.info.layers.find((l) => l.id === tensor)?.receptiveField;
  if (!rf) throw new AppError('MODEL_UNSUPPORTED', `layer ${quoted(tensor)} has no receptive field`, { layer: tensor });
  if (!cell.projection) throw new AppError('INTERNAL', 'an evolution cell without its projection');
  const { channels, height: H, width: W } = model.info.input;
  const box = receptiveFieldBox(rf, cell.position, H, W);
  const px = tensorToPixels(input, [channels, H, W], model.info.preprocessing);
  const display = toDisplay(cell.projection.data, cell.projection.dims);
  const png = (data: Uint8Array) => encodePng({ width: box.x1 - box.x0, height: box.y1 - box.y0, channels: px.channels, data });
  return {
    checkpoint: cell.checkpoint,
    image: cell.image,
    index,
    position: cell.position,
    value: cell.value,
    box,
    patch: await png(cropPixels(px.data, W, px.channels, box)),
    projection: await png(cropPixels(display, W, px.channels, box)),
    projectionFull: await encodePng({ width: W, height: H, channels: px.channels, data: display }),
  };
}
