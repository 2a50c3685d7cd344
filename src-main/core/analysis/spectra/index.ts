// core/analysis/spectra: filter-frequency diagnostics of conv layers (DESIGN §3 "Filter spectra").
export { fft1d, fft2d, frequencyOf, isPowerOfTwo } from './fft.ts';
export {
  computeSpectra, spectrumSize, profileBins, median, centroidHistogram, BAND_EDGES, CENTROID_BIN,
  type ConvFilters, type Firing, type LayerSpectra, type FilterFlag, type FilterStats, type Histogram, type SpectraSummary,
} from './spectra.ts';
export { convLayers, resolveConvLayer, convFilters } from './conv-layer.ts';
export { scanFiring, type FiringOptions, type FiringScan } from './firing.ts';
export { spectraReport, type FiringEvidence } from './report.ts';
