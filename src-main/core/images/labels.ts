// Class labels: reading label files and matching ImageFolder class names to label indices.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ImageError, errnoCode, errorMessage } from './errors.ts';

/**
 * One label per line. Each line is trimmed (a CRLF file or a stray space must not make "cat "
 * a different class from "cat"); blank lines at the end are dropped (editors add them), but blank
 * lines inside are kept as empty labels, because line n must stay class n.
 */
export function parseLabels(text: string): string[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((l) => l.trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Resolves the sidecar's `labels` field: a file path relative to the sidecar's folder (absolute
 * paths work too), or the labels themselves. `sidecarFile` is named in errors.
 */
export async function resolveLabels(labels: string | string[] | undefined, sidecarFile: string): Promise<string[] | null> {
  if (labels === undefined) return null;
  if (Array.isArray(labels)) return [...labels];
  const file = path.resolve(path.dirname(sidecarFile), labels);
  const name = path.basename(sidecarFile);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const why = errnoCode(err) === 'ENOENT' ? 'not found' : `could not be read (${errnoCode(err) ?? errorMessage(err)})`;
    throw new ImageError('SIDECAR_INVALID', `${name}: label file "${labels}" ${why} (looked for ${file})`, sidecarFile, { field: 'labels', labelFile: file });
  }
  const parsed = parseLabels(text);
  if (parsed.length === 0) {
    throw new ImageError('SIDECAR_INVALID', `${name}: label file "${labels}" has no labels`, sidecarFile, { field: 'labels', labelFile: file });
  }
  return parsed;
}

/** Lower-cased, everything but letters and digits dropped: `T-shirt/top` → `tshirttop`. */
function normalise(s: string): string {
  return s.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
}

/**
 * The label index an ImageFolder class name stands for, or null.
 * A name matches a label when both normalise to the same non-empty string (folder `t-shirt-top`
 * ↔ `T-shirt/top`, `ankle-boot` ↔ `Ankle boot`); the first such label wins. Otherwise a purely
 * numeric name is the index itself (`7` → 7), if in range; with no labels there is no range here,
 * so the index is returned as is and the caller checks it against the model's class count.
 */
export function matchClassToLabel(className: string, labels: string[] | null): number | null {
  if (labels) {
    const key = normalise(className);
    if (key !== '') {
      const i = labels.findIndex((l) => normalise(l) === key);
      if (i >= 0) return i;
    }
  }
  if (/^\d+$/.test(className)) {
    const n = Number(className);
    if (Number.isSafeInteger(n) && (labels === null || n < labels.length)) return n;
  }
  return null;
}
