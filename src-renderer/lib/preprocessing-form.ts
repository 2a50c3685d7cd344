// The preprocessing editor's form: what the user typed is kept as text, so a value the core rejects
// stays on screen to be corrected. Only "is it a number" is checked here; the core validates the rest.
import type { Preprocessing } from '../../src-main/common/types.ts';

export type LabelsMode = 'none' | 'file' | 'list';

export interface PreprocessingDraft {
  height: string;
  width: string;
  channels: Preprocessing['channels'];
  scale: string;
  mean: string;
  std: string;
  resize: Preprocessing['resize'];
  labelsMode: LabelsMode;
  labelsFile: string;
  /** One label per line. */
  labelsList: string;
}

export type DraftField = keyof PreprocessingDraft;
export type FieldErrors = Partial<Record<DraftField, string>>;

export type ParseResult = { ok: true; value: Preprocessing } | { ok: false; errors: FieldErrors };

export function toDraft(p: Preprocessing): PreprocessingDraft {
  const labels = p.labels;
  return {
    height: String(p.inputSize[0]),
    width: String(p.inputSize[1]),
    channels: p.channels,
    scale: String(p.scale),
    mean: p.mean.join(', '),
    std: p.std.join(', '),
    resize: p.resize,
    labelsMode: labels === undefined ? 'none' : typeof labels === 'string' ? 'file' : 'list',
    labelsFile: typeof labels === 'string' ? labels : '',
    labelsList: Array.isArray(labels) ? labels.join('\n') : '',
  };
}

/** A single number; `null` when the text is not one. */
export function parseNumber(text: string): number | null {
  const t = text.trim();
  if (t === '') return null;
  const v = Number(t);
  return Number.isFinite(v) ? v : null;
}

/** Numbers separated by commas and/or spaces, brackets allowed: `[0.5, 0.5 0.5]`. */
export function parseNumberList(text: string): { values: number[] } | { error: string } {
  const cleaned = text.replace(/^\s*\[/, '').replace(/\]\s*$/, '');
  const parts = cleaned.split(/[\s,;]+/).filter((s) => s !== '');
  if (parts.length === 0) return { error: 'enter at least one number' };
  const values: number[] = [];
  for (const part of parts) {
    const v = parseNumber(part);
    if (v === null) return { error: `"${part}" is not a number` };
    values.push(v);
  }
  return { values };
}

export function parseDraft(d: PreprocessingDraft): ParseResult {
  const errors: FieldErrors = {};
  const height = parseNumber(d.height);
  const width = parseNumber(d.width);
  const scale = parseNumber(d.scale);
  if (height === null) errors.height = 'enter a number';
  if (width === null) errors.width = 'enter a number';
  if (scale === null) errors.scale = 'enter a number';
  const mean = parseNumberList(d.mean);
  const std = parseNumberList(d.std);
  if ('error' in mean) errors.mean = mean.error;
  if ('error' in std) errors.std = std.error;
  let labels: string | string[] | undefined;
  if (d.labelsMode === 'file') {
    labels = d.labelsFile.trim();
    if (!labels) errors.labelsFile = 'enter a file name, relative to the model’s folder';
  } else if (d.labelsMode === 'list') {
    labels = d.labelsList.split(/\r?\n/).map((s) => s.trim()).filter((s) => s !== '');
    if (labels.length === 0) errors.labelsList = 'enter one label per line';
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      inputSize: [height as number, width as number],
      channels: d.channels,
      scale: scale as number,
      mean: (mean as { values: number[] }).values,
      std: (std as { values: number[] }).values,
      resize: d.resize,
      ...(labels !== undefined ? { labels } : {}),
    },
  };
}

export function draftsEqual(a: PreprocessingDraft, b: PreprocessingDraft): boolean {
  return (Object.keys(a) as DraftField[]).every((k) => a[k] === b[k]);
}

const FIELD_WORDS: [RegExp, DraftField | 'labels'][] = [
  [/\binputSize\b(\.|\[)?1\b|\bwidth\b/i, 'width'],
  [/\binputSize\b|\bheight\b|input size/i, 'height'],
  [/\bmean\b/i, 'mean'],
  [/\bstd\b|standard deviation/i, 'std'],
  [/\bscale\b/i, 'scale'],
  [/\bchannels?\b/i, 'channels'],
  [/\bresize\b/i, 'resize'],
  [/\blabels?\b/i, 'labels'],
];

/**
 * Which field a core validation message is about, so it can be shown beside that field. Uses
 * `details.field` when the core gives one, else the names the message mentions.
 */
export function fieldOfError(message: string, details?: Record<string, unknown>, mode: LabelsMode = 'none'): DraftField | null {
  const named = typeof details?.field === 'string' ? details.field : null;
  const text = named ?? message;
  for (const [re, field] of FIELD_WORDS) {
    if (re.test(text)) {
      if (field === 'labels') return mode === 'list' ? 'labelsList' : 'labelsFile';
      return field;
    }
  }
  return null;
}
