// Activation-based deadness (DESIGN §3 "Filter spectra", flag dead): one streaming pass over a folder
// that counts, per filter, the images on which its activation map's maximum exceeds 0.
import { AppError } from '../../../common/errors.ts';
import { scanMapMaxima, type BatchForward, type ScanFailure } from '../map-maxima.ts';
import type { Firing } from './spectra.ts';

export interface FiringOptions {
  /** The layer whose maps are the filters' activations (ConvLayerRef.activation). */
  layer: string;
  filters: number;
  /** C×H×W of one input. */
  inputSize: number;
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (done: number) => void;
  onFailure?: (f: ScanFailure) => void;
}

export interface FiringScan extends Firing {
  /** Images that failed to load and were left out. */
  failed: number;
}

export async function scanFiring<T>(images: readonly T[], load: (image: T) => Promise<Float32Array>, forward: BatchForward, o: FiringOptions): Promise<FiringScan> {
  const fires = new Int32Array(o.filters);
  let scanned = 0;
  let failed = 0;
  const scan = scanMapMaxima(images, load, forward, {
    layers: [o.layer],
    inputSize: o.inputSize,
    batchSize: o.batchSize,
    signal: o.signal,
    onProgress: o.onProgress,
    onFailure: (f) => {
      failed++;
      o.onFailure?.(f);
    },
  });
  for await (const batch of scan) {
    const m = batch.layers[o.layer];
    if (m.channels !== o.filters) {
      throw new AppError('INPUT_MISMATCH', `layer "${o.layer}" has ${m.channels} maps, but its conv has ${o.filters} filters`, { layer: o.layer });
    }
    const n = batch.indices.length;
    for (let i = 0; i < n; i++) for (let c = 0; c < o.filters; c++) if (m.max[i * o.filters + c] > 0) fires[c]++;
    scanned += n;
  }
  return { images: scanned, fires, failed };
}
