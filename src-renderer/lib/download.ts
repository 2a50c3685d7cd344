// Saving bytes the renderer already holds (projection PNGs and .npy files) through a download link.
import { shortLayerName } from './format.ts';

/** `x.png.png` → `x.png`: a name built from a file name plus its own extension keeps one. */
export function singleExtension(name: string): string {
  return name.replace(/(\.[A-Za-z0-9]+)(\1)+$/i, '$1');
}

/** Starts a download of `bytes` as `name`; the Blob URL is revoked once the click has been handled. */
export function downloadBytes(bytes: Uint8Array, name: string, type: string): void {
  name = singleExtension(name);
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  // The download has taken its own reference by the next task.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A file name for a projection: `relu5-c12-single-y2x3`, `conv1-c0-map`. */
export function projectionFileBase(layer: string, channel: number, mode: 'single' | 'map', position: readonly [number, number] | null): string {
  const name = shortLayerName(layer)
    .replace(/\/(Relu|Conv|MaxPool|Gemm|Div|Flatten)$/i, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^_+|_+$/g, '') || 'layer';
  const where = mode === 'single' && position ? `-y${position[0]}x${position[1]}` : '';
  return `${name}-c${channel}-${mode}${where}`;
}
