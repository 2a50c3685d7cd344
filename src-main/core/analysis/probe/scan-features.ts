// A probe's features gathered in a top-k scan's own passes (a report asking for both sections): one
// pass over the folder instead of two. The conv maps the scan fetches anyway are averaged per map in
// its reduction, summed in onnxruntime's order (reduce-mean.ts), so the features are those of the
// probe's in-graph means; the probe's other tensors (hidden fc layers) and the class scores come as
// the scan's `also`. What the scan did not see (layers or images served from the top-k cache) makes
// `finish` give up, and the probe makes its own pass.
import { AppError } from '../../../common/errors.ts';
import { mapDims, noMapsMessage } from '../../../common/layers.ts';
import type { OutputTensor } from '../../runtime/protocol.ts';
import { rowMeans } from '../reduce-mean.ts';
import type { ListedImage } from '../topk/state.ts';
import type { GatheredFeatures } from './features.ts';
import { topClass } from './features.ts';
import { assembleProbe, type GatheredProbe, type ProbeSetup } from './run.ts';

export interface ScanProbe {
  /** For runTopk: tensors to fetch whole (the probe's unscanned tensors and the class scores). */
  also: string[];
  /** For runTopk: scanned tensors whose per-map means the scan's reduction computes. */
  means: string[];
  onAlso: (images: ListedImage[], tensors: Record<string, OutputTensor>, means: Record<string, Float32Array>) => void;
  /**
   * The probe's gathered features, given the scan's failed images (runTopk's `failures`); null when
   * the scan did not read every labelled image at every probe tensor (the probe then reads them itself).
   */
  finish: (failures: readonly { path: string; reason: string }[]) => GatheredProbe | null;
}

/** Collects `setup`'s features from a top-k scan of the tensors `scanned`. */
export function scanProbe(setup: ProbeSetup, scanned: readonly string[]): ScanProbe {
  const { tensors } = setup.plan;
  const output = setup.model.info.outputs[0].name;
  const count = setup.listed.paths.length;
  const rowOf = new Map(setup.listed.paths.map((p, i) => [p, i]));
  const means = tensors.filter((t) => scanned.includes(t));
  const whole = tensors.filter((t) => !scanned.includes(t));
  const features: Float32Array<ArrayBuffer>[] = [];
  const widths: number[] = [];
  // Per tensor and image: read in this scan.
  const seen = tensors.map(() => new Uint8Array(count));
  const top1 = new Int32Array(count).fill(-1);

  const put = (t: number, row: number, values: Float32Array) => {
    if (!features[t]) {
      widths[t] = values.length;
      features[t] = new Float32Array(count * values.length);
    }
    features[t].set(values, row * widths[t]);
    seen[t][row] = 1;
  };

  const onAlso: ScanProbe['onAlso'] = (images, fetched, averaged) => {
    const n = images.length;
    const rows = images.map((im) => rowOf.get(im.path));
    tensors.forEach((name, t) => {
      const m = averaged[name];
      if (m) {
        const F = m.length / n;
        rows.forEach((row, j) => row !== undefined && put(t, row, m.subarray(j * F, (j + 1) * F)));
        return;
      }
      const x = fetched[name];
      if (!x) return;
      const dims = mapDims(x.dims);
      if (x.type !== 'float32' || !dims) throw new AppError('MODEL_UNSUPPORTED', noMapsMessage(name, x.dims), { layer: name });
      const [C, H, W] = dims;
      const per = C * H * W;
      const data = x.data as Float32Array;
      rows.forEach((row, j) => row !== undefined && put(t, row, rowMeans(data, j * per, C, H * W)));
    });
    const scores = fetched[output];
    if (scores) rows.forEach((row, j) => row !== undefined && (top1[row] = topClass(scores.data as Float32Array, n, j)));
  };

  const finish: ScanProbe['finish'] = (failed) => {
    const reasons = new Map(failed.map((f) => [f.path, f.reason]));
    const failures: GatheredFeatures['failures'] = [];
    for (let i = 0; i < count; i++) {
      const reason = reasons.get(setup.listed.paths[i]);
      if (reason !== undefined) failures.push({ index: i, reason });
      else if (top1[i] < 0 || seen.some((s) => !s[i])) return null;
    }
    tensors.forEach((_, t) => {
      features[t] ??= new Float32Array(0);
      widths[t] ??= 0;
    });
    return assembleProbe(setup, { features, widths, top1, failures });
  };

  return { also: [...new Set([...whole, output])], means, onAlso, finish };
}
