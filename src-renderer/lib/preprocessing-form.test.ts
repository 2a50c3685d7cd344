import { describe, expect, it } from 'vitest';
import type { Preprocessing } from '../../src-main/common/types.ts';
import { draftsEqual, fieldOfError, parseDraft, parseNumberList, toDraft } from './preprocessing-form.ts';

const gray: Preprocessing = {
  inputSize: [28, 28],
  channels: 'gray',
  scale: 255,
  mean: [0.286],
  std: [0.353],
  resize: 'stretch',
  labels: 'labels.txt',
};

describe('preprocessing form', () => {
  it('round-trips a sidecar through the form', () => {
    const d = toDraft(gray);
    expect(d).toMatchObject({ height: '28', width: '28', mean: '0.286', labelsMode: 'file', labelsFile: 'labels.txt' });
    expect(parseDraft(d)).toEqual({ ok: true, value: gray });
    const rgb: Preprocessing = { ...gray, channels: 'RGB', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], labels: ['cat', 'dog'] };
    expect(parseDraft(toDraft(rgb))).toEqual({ ok: true, value: rgb });
    const { labels: _omit, ...noLabels } = gray;
    expect(parseDraft(toDraft(noLabels))).toEqual({ ok: true, value: noLabels });
  });

  it('reads number lists written in several ways', () => {
    expect(parseNumberList('0.5, 0.5, 0.5')).toEqual({ values: [0.5, 0.5, 0.5] });
    expect(parseNumberList('[0.485 0.456;0.406]')).toEqual({ values: [0.485, 0.456, 0.406] });
    expect(parseNumberList('1e-1')).toEqual({ values: [0.1] });
    expect(parseNumberList('0.5, abc')).toEqual({ error: '"abc" is not a number' });
    expect(parseNumberList('  ')).toEqual({ error: 'enter at least one number' });
  });

  it('flags text that is not a number, per field, and leaves counts to the core', () => {
    const d = { ...toDraft(gray), height: 'x', scale: '', mean: '0.1, 0.2, 0.3, 0.4' };
    const r = parseDraft(d);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(r.errors).sort()).toEqual(['height', 'scale']);
  });

  it('turns a label list into one label per non-empty line', () => {
    const d = { ...toDraft(gray), labelsMode: 'list' as const, labelsList: 'T-shirt\n\n Trouser \r\nBag' };
    const r = parseDraft(d);
    expect(r.ok && r.value.labels).toEqual(['T-shirt', 'Trouser', 'Bag']);
    expect(parseDraft({ ...d, labelsList: '\n' }).ok).toBe(false);
  });

  it('compares drafts field by field', () => {
    expect(draftsEqual(toDraft(gray), toDraft(gray))).toBe(true);
    expect(draftsEqual(toDraft(gray), { ...toDraft(gray), std: '0.35' })).toBe(false);
  });

  it('finds the field a core validation message is about', () => {
    expect(fieldOfError('mean has 3 values but the model takes 1 channel')).toBe('mean');
    expect(fieldOfError('savePreprocessing: invalid argument at "preprocessing.std.0": Too small')).toBe('std');
    expect(fieldOfError('savePreprocessing: invalid argument at "preprocessing.inputSize.1": Too small')).toBe('width');
    expect(fieldOfError('inputSize must match the model input 28×28')).toBe('height');
    expect(fieldOfError('label file labels.txt not found', undefined, 'file')).toBe('labelsFile');
    expect(fieldOfError('something', { field: 'scale' })).toBe('scale');
    expect(fieldOfError('disk full')).toBeNull();
  });
});
