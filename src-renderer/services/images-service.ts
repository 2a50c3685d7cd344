// The open folder's images: paging, thumbnails, the selection and what is shown for it.
import type { ImageEntry } from '../../src-main/common/types.ts';
import { getApi } from '../lib/api-client.ts';
import { pngUrl, revokeUrl } from '../lib/blob-url.ts';
import { LatestOnly } from '../lib/latest-only.ts';
import { toUserError } from '../lib/messages.ts';
import { ThumbnailLoader } from '../lib/thumbnail-loader.ts';
import { ImageList } from '../state/image-list.svelte.ts';
import { notices } from '../state/notices.svelte.ts';
import { SelectedImage } from '../state/selected-image.svelte.ts';
import { session } from '../state/session.svelte.ts';

/** Thumbnail edge in CSS pixels; requests ask for device pixels. */
export const THUMB_CSS_PX = 64;

export function thumbnailRequestSize(): number {
  const dpr = typeof devicePixelRatio === 'number' && devicePixelRatio > 0 ? devicePixelRatio : 1;
  return Math.min(512, Math.max(8, Math.round(THUMB_CSS_PX * dpr)));
}

export const images = new ImageList(
  (offset, limit) => getApi().call('listImages', { offset, limit }),
  (e) => notices.error(e, 'Listing the folder’s images'),
);

export const thumbnails = new ThumbnailLoader({
  fetch: (path, size) => getApi().call('thumbnail', { path, size }),
  createUrl: pngUrl,
  revokeUrl,
  capacity: 400,
  concurrency: 6,
});

export const selected = new SelectedImage();

const IMAGE_ERRORS = new Set<string>(['IMAGE_DECODE_FAILED', 'IMAGE_TOO_LARGE', 'IMAGE_UNREADABLE', 'NOT_FOUND']);

/** The entry whose preview is on screen. */
let previewOf: ImageEntry | null = null;

interface ShowRequest {
  entry: ImageEntry;
  /** Whether to ask for a new preview too (not when only the model changed). */
  preview: boolean;
}

const loader = new LatestOnly<ShowRequest>(async ({ entry, preview }) => {
  const isCurrent = () => loader.latest?.entry === entry;
  const api = getApi();
  const tasks: Promise<void>[] = [];
  if (preview) {
    selected.loadingPreview = true;
    tasks.push(
      api.call('imagePreview', { path: entry.path }).then(
        (p) => {
          if (!isCurrent()) return;
          selected.setPreview({ url: pngUrl(p.png), width: p.width, height: p.height });
          selected.previewError = null;
          previewOf = entry;
        },
        (e: unknown) => {
          if (!isCurrent()) return;
          selected.setPreview(null);
          selected.previewError = toUserError(e).message;
        },
      ),
    );
  }
  if (session.model) {
    selected.loadingPrediction = true;
    tasks.push(
      api.call('predict', { path: entry.path, topK: 5 }).then(
        (p) => {
          if (!isCurrent()) return;
          selected.prediction = p;
          selected.predictionError = null;
        },
        (e: unknown) => {
          if (!isCurrent()) return;
          selected.prediction = null;
          const u = toUserError(e);
          selected.predictionError = u.message;
          // A bad image is reported beside it; anything else (a model or preprocessing problem) also as a toast.
          if (!u.code || !IMAGE_ERRORS.has(u.code)) notices.error(e, `Predicting ${entry.path}`);
        },
      ),
    );
  } else {
    selected.prediction = null;
    selected.predictionError = null;
  }
  await Promise.all(tasks);
  if (isCurrent()) {
    selected.loadingPreview = false;
    selected.loadingPrediction = false;
  }
});

/** Selects image `index` of the folder and loads its preview and prediction. */
export async function selectImage(index: number): Promise<void> {
  const i = images.clampIndex(index);
  if (i < 0 || i === images.selected) return;
  images.selected = i;
  const entry = await images.load(i);
  if (!entry || images.selected !== i) return;
  if (selected.entry?.path !== entry.path) {
    selected.entry = entry;
    loader.request({ entry, preview: true });
  }
}

export function moveSelection(delta: number): Promise<void> {
  const from = images.selected < 0 ? 0 : images.selected;
  return selectImage(images.selected < 0 ? 0 : from + delta);
}

/** The model (or its preprocessing) changed: predict the shown image again. */
export function refreshPrediction(): void {
  // A selection whose preview has not arrived yet still needs it.
  if (selected.entry) loader.request({ entry: selected.entry, preview: previewOf !== selected.entry });
  else {
    selected.prediction = null;
    selected.predictionError = null;
  }
}

/** Another folder (or none) is open: forget the old one's entries, thumbnails and selection. */
export async function resetFolder(key: string | null, total: number): Promise<void> {
  images.reset(key, total);
  thumbnails.clear();
  selected.clear();
  previewOf = null;
  if (total > 0) await selectImage(0);
}
