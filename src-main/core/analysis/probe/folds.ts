// The images of a probe and their folds (DESIGN §3 "Linear probe"): images sorted by path; within
// each class (sub-folder), the i-th image goes to fold i mod k.
import { AppError } from '../../../common/errors.ts';
import type { ImageEntry } from '../../../common/types.ts';

export const DEFAULT_FOLDS = 5;
export const DEFAULT_LAMBDA = 1;

export interface ProbeImages {
  /** Folder-relative paths, sorted (code-unit order, as Python's sorted). */
  paths: string[];
  /** Class names (the sub-folders), sorted; a label is an index into it. */
  classes: string[];
  labels: Int32Array;
  folds: Int32Array;
  /** Images at the folder's root, which have no class and are left out. */
  unlabelled: string[];
}

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Orders and labels the images of a folder and deals them into k folds; `folder` names it in errors. */
export function probeImages(entries: readonly ImageEntry[], k: number, folder: string): ProbeImages {
  if (!Number.isInteger(k) || k < 2) throw new AppError('INVALID_ARGUMENT', `folds must be an integer of at least 2, got ${k}`);
  const labelled = entries.filter((e) => e.className !== null).sort((a, b) => byCodeUnits(a.path, b.path));
  const unlabelled = entries.filter((e) => e.className === null).map((e) => e.path);
  const classes = [...new Set(labelled.map((e) => e.className!))].sort(byCodeUnits);
  if (classes.length === 0) {
    throw new AppError('INVALID_ARGUMENT', `${folder} has no class sub-folders: linear probes need the images sorted into one sub-folder per class (ImageFolder layout)`, { file: folder });
  }
  if (classes.length < 2) {
    throw new AppError('INVALID_ARGUMENT', `${folder} has one class sub-folder ("${classes[0]}"): linear probes need at least two classes`, { file: folder });
  }
  if (labelled.length < k) {
    throw new AppError('INVALID_ARGUMENT', `${folder} has ${labelled.length} labelled images: too few for ${k} folds`, { file: folder });
  }
  const index = new Map(classes.map((c, i) => [c, i]));
  const seen = new Array<number>(classes.length).fill(0);
  const labels = new Int32Array(labelled.length);
  const folds = new Int32Array(labelled.length);
  labelled.forEach((e, i) => {
    const c = index.get(e.className!)!;
    labels[i] = c;
    folds[i] = seen[c]++ % k;
  });
  // Few classes of few images can leave a fold empty (3 classes of 1 image, 5 folds).
  for (let f = 0; f < k; f++) {
    if (!folds.includes(f)) throw new AppError('INVALID_ARGUMENT', `${folder}: fold ${f + 1} of ${k} gets no image (the largest class has ${Math.max(...seen)} images): use fewer folds`, { file: folder });
  }
  return { paths: labelled.map((e) => e.path), classes, labels, folds, unlabelled };
}

/** The share of the most frequent class: the accuracy of always answering it (the probe's chance level). */
export function majorityShare(labels: Int32Array, classes: number): number {
  const counts = new Array<number>(classes).fill(0);
  for (const l of labels) counts[l]++;
  return labels.length ? Math.max(...counts) / labels.length : 0;
}
