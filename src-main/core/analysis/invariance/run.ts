// A sweep over several images, shaped as the contract's result (shared by the service and the CLI).
import type { InvarianceImageResult } from '../../../common/api-invariance.ts';
import { folderClass, sweepPipeline, type SweepForward, type SweepSpec } from './sweep.ts';

export interface SweepItem {
  path: string;
  /** The ImageFolder class name (sub-folder), or null. */
  className: string | null;
}

export interface SweepRunSpec extends SweepSpec {
  labels: string[] | null;
  numClasses: number;
  label: (index: number) => string;
  /** Called after each image with the number done. */
  onImage?: (done: number, result: InvarianceImageResult) => void;
  /** With it, an image that fails to load is reported here and left out; without it the sweep fails. */
  onFailure?: (item: SweepItem, message: string) => void;
}

export async function sweepImages(
  items: SweepItem[], load: (item: SweepItem) => Promise<Float32Array>, forward: SweepForward, spec: SweepRunSpec,
): Promise<InvarianceImageResult[]> {
  const results: InvarianceImageResult[] = [];
  await sweepPipeline(
    items.length,
    async (i) => {
      let x: Float32Array;
      try {
        x = await load(items[i]);
      } catch (e) {
        if (!spec.onFailure || spec.signal?.aborted) throw e;
        spec.onFailure(items[i], e instanceof Error ? e.message : String(e));
        return null;
      }
      return { x, trueIndex: folderClass(items[i].className, spec.labels, spec.numClasses) };
    },
    forward,
    spec,
    (i, s) => {
      const result: InvarianceImageResult = { path: items[i].path, trueClass: spec.label(s.trueIndex), ...s };
      results.push(result);
      spec.onImage?.(results.length, result);
    },
  );
  return results;
}
