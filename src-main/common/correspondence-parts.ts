// The parts file of correspondence analysis (`{"parts": [{"name", "boxes": [{"image", "box"}]}]}`):
// read with messages that name the part and image at fault, and boxes checked against the model
// input. Shared by the CLI, the service and the view (which loads and saves the same format).
import type { PartBox, PartSpec, PartsFile } from './api-correspondence.ts';
import { AppError } from './errors.ts';
import { quoted } from './text.ts';

/** How a message names a part: by name when it has one, else by its place in the file. */
export function partLabel(part: { name?: unknown }, index: number): string {
  return typeof part?.name === 'string' && part.name.trim() ? `part ${quoted(part.name)}` : `part ${index + 1}`;
}

/** What is wrong with `box` in an H×W model input, or null when it lies inside. */
export function boxProblem(box: readonly number[], H: number, W: number): string | null {
  if (!Array.isArray(box) || box.length !== 4 || !box.every((v) => typeof v === 'number' && Number.isInteger(v))) {
    return 'must be [y, x, h, w], four integers in model-input pixels';
  }
  const [y, x, h, w] = box;
  if (h < 1 || w < 1) return `[${box.join(', ')}] has no area (h and w must be at least 1)`;
  if (y < 0 || x < 0 || y + h > H || x + w > W) {
    return `[${box.join(', ')}] reaches outside the ${H}×${W} model input (rows ${y}…${y + h - 1}, columns ${x}…${x + w - 1})`;
  }
  return null;
}

/**
 * Reads a parsed parts file. Every part needs a name and at least two images (Δ compares pairs);
 * the boxes' fit in the model input is checked where the model is known (`checkPartBoxes`).
 * `source` names the file in messages.
 */
export function readPartsFile(value: unknown, source: string): PartsFile {
  const bad = (msg: string, details: Record<string, unknown> = {}) => new AppError('INVALID_ARGUMENT', `${source}: ${msg}`, details);
  const parts = (value as { parts?: unknown } | null)?.parts;
  if (!Array.isArray(parts)) throw bad('expected {"parts": [{"name": …, "boxes": [{"image": …, "box": [y, x, h, w]}, …]}, …]}');
  if (parts.length === 0) throw bad('"parts" is empty: give at least one part');
  const out: PartSpec[] = parts.map((p: { name?: unknown; boxes?: unknown }, i) => {
    const label = partLabel(p, i);
    if (typeof p?.name !== 'string' || !p.name.trim()) throw bad(`${label} has no name`, { part: i });
    if (!Array.isArray(p.boxes)) throw bad(`${label} has no "boxes" list`, { part: p.name });
    if (p.boxes.length < 2) throw bad(`${label} has ${p.boxes.length} image${p.boxes.length === 1 ? '' : 's'}; Δ compares pairs, so give at least two`, { part: p.name });
    const boxes = p.boxes.map((b: { image?: unknown; box?: unknown }, j) => {
      if (typeof b?.image !== 'string' || !b.image) throw bad(`${label}, box ${j + 1} has no "image" path`, { part: p.name });
      const box = b.box as number[];
      if (!Array.isArray(box) || box.length !== 4 || !box.every((v) => typeof v === 'number' && Number.isInteger(v))) {
        throw bad(`${label}, image ${quoted(b.image)}: "box" must be [y, x, h, w], four integers in model-input pixels`, { part: p.name, image: b.image });
      }
      return { image: b.image, box: [box[0], box[1], box[2], box[3]] as PartBox };
    });
    return { name: p.name, boxes };
  });
  return { parts: out };
}

/** Throws INVALID_ARGUMENT naming the part and image of the first box outside the H×W model input. */
export function checkPartBoxes(parts: readonly PartSpec[], H: number, W: number, where = ''): void {
  parts.forEach((p, i) => {
    if (p.boxes.length < 2) {
      throw new AppError('INVALID_ARGUMENT', `${where}${partLabel(p, i)} has ${p.boxes.length} image${p.boxes.length === 1 ? '' : 's'}; Δ compares pairs, so give at least two`, { part: p.name });
    }
    for (const b of p.boxes) {
      const problem = boxProblem(b.box, H, W);
      if (problem) throw new AppError('INVALID_ARGUMENT', `${where}${partLabel(p, i)}, image ${quoted(b.image)}: box ${problem}`, { part: p.name, image: b.image });
    }
  });
}
