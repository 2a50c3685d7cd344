// GET /files/<path>: one image of the open image folder, <path> exactly as `listImages` names it.
// The bytes on disk are never sent: the image is decoded and re-encoded as PNG (the API's own
// `imagePreview`, at most 1024 px on the long side), so a file that only claims to be an image (an
// .html renamed .png, say) fails to decode instead of reaching the browser. Files that are not listed
// images (other files in the folder, the model, anything else) do not exist for this route.
// The renderer itself does not use it (images reach it over the API); it is for scripts and links.
import type { ServerResponse } from 'node:http';
import type { ConvscopeService } from '../core/service/service.ts';

export const FILES_PREFIX = '/files/';

export const IMAGE_HEADERS: Record<string, string> = {
  'content-type': 'image/png',
  'x-content-type-options': 'nosniff',
  // Opened directly, the response is an opaque, script-less sandboxed document.
  'content-security-policy': "default-src 'none'; sandbox",
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const STATUS_OF_CODE: Record<string, number> = {
  NO_FOLDER: 404,
  NOT_FOUND: 404,
  FORBIDDEN: 403,
  IMAGE_UNREADABLE: 404,
  IMAGE_DECODE_FAILED: 422,
  IMAGE_TOO_LARGE: 422,
};

export type ImageRouteResult = { served: true } | { served: false; status: number; text: string };

export async function serveImage(
  res: ServerResponse,
  service: Pick<ConvscopeService, 'imagePreview'>,
  rel: string,
  head: boolean,
): Promise<ImageRouteResult> {
  let png: Uint8Array;
  try {
    ({ png } = await service.imagePreview({ path: rel }));
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const status = typeof code === 'string' ? (STATUS_OF_CODE[code] ?? 500) : 500;
    return { served: false, status, text: status === 500 ? 'internal error' : 'not an image of the open folder' };
  }
  res.writeHead(200, { ...IMAGE_HEADERS, 'content-length': String(png.byteLength) });
  res.end(head ? undefined : Buffer.from(png.buffer, png.byteOffset, png.byteLength));
  return { served: true };
}
