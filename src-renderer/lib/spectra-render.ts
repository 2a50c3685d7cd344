// Pixels for the filter grid: each filter shown as the paper shows first-layer filters (contrast
// normalised per filter, RGB for 3 input channels, gray otherwise) and its log-power spectrum.
import { SEQUENTIAL_LUT } from './heatmap.ts';

export interface Rgba {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** Decades of dynamic range the log-power image spans below each filter's peak. */
export const SPECTRUM_DECADES = 4;

/**
 * Filter k of weights K×C×kh×kw as an image: v/max|v| mapped to 0..255 around 128 (zero is mid-gray).
 * Three channels are shown as RGB; any other count as gray of the channel mean.
 */
export function filterImage(weights: Float32Array, dims: readonly [number, number, number, number], k: number): Rgba {
  const [, C, kh, kw] = dims;
  const plane = kh * kw;
  const base = k * C * plane;
  let max = 0;
  for (let i = 0; i < C * plane; i++) max = Math.max(max, Math.abs(weights[base + i]));
  const to8 = (v: number) => (max > 0 ? 128 + (127 * v) / max : 128);
  const data = new Uint8ClampedArray(plane * 4);
  for (let i = 0; i < plane; i++) {
    if (C === 3) {
      for (let c = 0; c < 3; c++) data[i * 4 + c] = to8(weights[base + c * plane + i]);
    } else {
      data[i * 4] = data[i * 4 + 1] = data[i * 4 + 2] = to8(weights[base + i]);
    }
    data[i * 4 + 3] = 255;
  }
  if (C !== 1 && C !== 3) {
    // The channel mean is smaller than any channel: normalise it by its own maximum.
    let m = 0;
    const means = new Float64Array(plane);
    for (let i = 0; i < plane; i++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += weights[base + c * plane + i];
      means[i] = s / C;
      m = Math.max(m, Math.abs(means[i]));
    }
    for (let i = 0; i < plane; i++) data[i * 4] = data[i * 4 + 1] = data[i * 4 + 2] = m > 0 ? 128 + (127 * means[i]) / m : 128;
  }
  return { width: kw, height: kh, data };
}

/** Spectrum k (fftshifted N×N) as log10(P/max P) over SPECTRUM_DECADES decades, inferno-coloured. */
export function spectrumImage(spectra: Float32Array, n: number, k: number): Rgba {
  const base = k * n * n;
  let max = 0;
  for (let i = 0; i < n * n; i++) max = Math.max(max, spectra[base + i]);
  const data = new Uint8ClampedArray(n * n * 4);
  for (let i = 0; i < n * n; i++) {
    const p = spectra[base + i];
    const t = max > 0 && p > 0 ? Math.max(0, 1 + Math.log10(p / max) / SPECTRUM_DECADES) : 0;
    const j = Math.round(t * 255) * 3;
    data[i * 4] = SEQUENTIAL_LUT[j];
    data[i * 4 + 1] = SEQUENTIAL_LUT[j + 1];
    data[i * 4 + 2] = SEQUENTIAL_LUT[j + 2];
    data[i * 4 + 3] = 255;
  }
  return { width: n, height: n, data };
}
