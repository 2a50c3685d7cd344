// Public API of core/images: folders, decoding, preprocessing, sidecars, thumbnails, .npy.
export { ImageError, type ImageErrorCode } from './errors.ts';
export { listImageFolder, compareNatural, skipReason, IMAGE_EXTENSIONS, type FolderListing } from './folder.ts';
export { decodeImage, MAX_INPUT_PIXELS, type DecodedImage, type DecodeOptions } from './decode.ts';
export { resizeBilinear, resizeImage, resampleRegion, boxReduce, boxFactor, planAxis, bilinearInto, type AxisPlan, type ResampleRegion } from './resize.ts';
export { preprocess, defaultPreprocessing, channelCount, fitGeometry, luminance, IMAGENET_MEAN, IMAGENET_STD, type FitGeometry } from './preprocess.ts';
export { sidecarPath, cachedSidecarPath, loadSidecar, readSidecarFile, validatePreprocessing, saveSidecar, saveModelSidecar, type LoadedSidecar, type SidecarOptions } from './sidecar.ts';
export { cacheDir } from './app-dirs.ts';
export { matchClassToLabel, parseLabels, resolveLabels } from './labels.ts';
export { ThumbnailCache, encodePng, type ThumbnailStats } from './thumbnails.ts';
export { readNpy, writeNpy, type NpyArray } from './npy.ts';
export { transformPlanes, isIdentityTransform, thetaRange, TRANSFORM_KINDS, type TransformKind } from './transform.ts';
