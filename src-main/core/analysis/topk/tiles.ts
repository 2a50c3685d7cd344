// Fig. 2 for one feature map: its top-k images as patches under each position's receptive field,
// beside their single-activation projections. The k images go through the model as one batch kept
// in the runtime, and the deconv engine projects all k from it in one call (one batch item each).
import type { PixelBox } from '../../../common/api.ts';
import type { TopkEntry, TopkTile } from '../../../common/api-topk.ts';
import { AppError } from '../../../common/errors.ts';
import type { Projection } from '../../deconv/index.ts';
import { toDisplay } from '../../deconv/index.ts';
import { encodePng } from '../../images/index.ts';
import type { ModelSession } from '../../model/model-session.ts';
import { receptiveFieldBox, tensorToPixels } from '../../model/pixels.ts';

/** The box of an HWC 8-bit image, as a new HWC image. */
export function cropPixels(data: Uint8Array, width: number, channels: number, box: PixelBox): Uint8Array {
  const w = box.x1 - box.x0;
  const out = new Uint8Array((box.y1 - box.y0) * w * channels);
  for (let y = box.y0; y < box.y1; y++) {
    out.set(data.subarray((y * width + box.x0) * channels, (y * width + box.x1) * channels), (y - box.y0) * w * channels);
  }
  return out;
}

async function pngOf(data: Uint8Array, box: PixelBox, channels: number): Promise<Uint8Array> {
  return encodePng({ width: box.x1 - box.x0, height: box.y1 - box.y0, channels, data });
}

/** Projections of `entries` (each its own image) from one kept batch (ModelSession keeps it again if the runtime evicted it). */
async function projectBatch(model: ModelSession, keepId: string, tensors: Float32Array[], tensor: string, channel: number, entries: TopkEntry[]): Promise<Projection[]> {
  const { channels, height, width } = model.info.input;
  const size = channels * height * width;
  const batch = new Float32Array(tensors.length * size);
  tensors.forEach((t, j) => batch.set(t, j * size));
  const requests = entries.map((e, j) => ({ layer: tensor, channel, mode: 'single' as const, position: e.position, batchIndex: j }));
  await model.keep(keepId, batch, [tensor], tensors.length, [tensor]);
  return model.project(keepId, async () => batch, requests, tensors.length);
}

export async function topkTiles(
  model: ModelSession,
  entries: TopkEntry[],
  tensors: Float32Array[],
  tensor: string,
  channel: number,
  withProjections: boolean,
  keepId: string,
): Promise<{ tiles: TopkTile[]; skipped: string[] }> {
  const rf = model.info.layers.find((l) => l.id === tensor)?.receptiveField;
  if (!rf) throw new AppError('MODEL_UNSUPPORTED', `layer "${tensor}" has no receptive field`, { layer: tensor });
  const { channels, height: H, width: W } = model.info.input;
  const dims: [number, number, number] = [channels, H, W];
  const projections = withProjections && entries.length ? await projectBatch(model, keepId, tensors, tensor, channel, entries) : null;
  const tiles = await Promise.all(
    entries.map(async (e, j) => {
      const box = receptiveFieldBox(rf, e.position, H, W);
      const px = tensorToPixels(tensors[j], dims, model.info.preprocessing);
      const p = projections?.[j];
      const display = p ? toDisplay(p.data, p.dims) : null;
      return {
        image: e.image,
        index: e.index,
        position: e.position,
        value: e.value,
        box,
        patch: await pngOf(cropPixels(px.data, W, px.channels, box), box, px.channels),
        projection: display ? await pngOf(cropPixels(display, W, px.channels, box), box, px.channels) : null,
        projectionFull: display ? await encodePng({ width: W, height: H, channels: px.channels, data: display }) : null,
      };
    }),
  );
  return { tiles, skipped: projections?.[0]?.skipped ?? [] };
}
