// Text and structure of the Training view's figure (the paper's Fig. 4): where a map's top image
// changes from one checkpoint to the next (the paper's "jumps"), how a checkpoint is named, and the
// JSON export in the shape of the CLI's (DESIGN §3 "Feature evolution").
import type { EvolutionResult } from '../../src-main/common/api-evolution.ts';

/** Per entry of a row: whether its top image differs from the previous checkpoint's (never the first). */
export function jumps(entries: readonly { image: string }[]): boolean[] {
  return entries.map((e, i) => i > 0 && e.image !== entries[i - 1].image);
}

/** How often each row's top image changes across the checkpoints, in row order. */
export function jumpCounts(r: Pick<EvolutionResult, 'maps'>): number[] {
  return r.maps.map((m) => jumps(m.entries).filter(Boolean).length);
}

/** `epoch 5`, or the file name for a checkpoint whose name carries no epoch. */
export function checkpointLabel(c: { name: string; epoch: number | null }): string {
  return c.epoch === null ? c.name.replace(/\.onnx$/i, '') : `epoch ${c.epoch}`;
}

/** `87.67 %`, or `–` for an unlabelled folder. */
export function accuracyText(a: number | null): string {
  return a === null ? '–' : `${(a * 100).toFixed(2)} %`;
}

/** The caption's accuracy line; says why where an accuracy is not available (it is shown as –). */
export function accuracyCaption(checkpoints: readonly { accuracy: number | null; epoch: number | null; name: string }[]): string {
  const why = 'not available: no class sub-folder of the folder names a class of the model';
  if (checkpoints.every((c) => c.accuracy === null)) return `Accuracy on the folder: ${why}.`;
  const line = `Accuracy on the folder: ${checkpoints.map((c) => `${checkpointLabel(c)} ${accuracyText(c.accuracy)}`).join(', ')}.`;
  return checkpoints.some((c) => c.accuracy === null) ? `${line} –: ${why}.` : line;
}

/** The CLI's JSON (`convscope evolution --json`, without the .npy paths), with the view's extras. */
export function evolutionJson(r: EvolutionResult): string {
  return JSON.stringify({
    checkpoints: r.checkpoints.map((c) => ({ model: c.model, epoch: c.epoch, accuracy: c.accuracy })),
    layer: r.layer,
    tensor: r.tensor,
    folder: r.folder,
    images: r.images,
    seed: r.seed,
    maps: r.maps.map((m) => ({
      channel: m.channel,
      entries: m.entries.map((e) => ({ checkpoint: e.checkpoint, image: e.image, position: e.position, value: e.value })),
      changes: jumps(m.entries).filter(Boolean).length,
    })),
  }, null, 2);
}
