import { describe, expect, it } from 'vitest';
import { captionLine, exportFileName, labelRows, niceTicks, wrapText } from './figure-text.ts';

describe('exportFileName', () => {
  it('keeps one extension when a part is an image file name', () => {
    expect(exportFileName(['occlusion', 'img00.png'], 'png')).toBe('occlusion-img00.png');
    expect(exportFileName(['occlusion', 'cats/a b.jpg.png'], '.png')).toBe('occlusion-cats_a_b.png');
    expect(exportFileName(['topk', '/features/features.10/Relu', 'c3'], 'png')).toBe('topk-features_features.10_Relu-c3.png');
  });
  it('names something even from empty parts', () => {
    expect(exportFileName(['', '///'], 'png')).toBe('figure.png');
  });
  it('never ends in a doubled extension', () => {
    for (const n of ['x.png', 'x.PNG.png', 'x.onnx', 'dir/x.jpeg']) expect(exportFileName(['f', n], 'png')).toMatch(/^f-[^.]+\.png$/);
  });
});

describe('captionLine', () => {
  it('names model, layer, image and date', () => {
    const s = captionLine({ model: 'alexnet.onnx', layer: 'conv5', image: 'cats/img00.png', date: new Date('2026-11-29T02:30:12Z') });
    expect(s).toBe('model alexnet.onnx · layer conv5 · image cats/img00.png · 2026-11-29 02:30 UTC');
  });
  it('leaves absent parts out', () => {
    expect(captionLine({ model: 'm.onnx', date: new Date('2026-01-02T03:04:00Z') })).toBe('model m.onnx · 2026-01-02 03:04 UTC');
  });
});

describe('wrapText', () => {
  const measure = (s: string) => s.length * 10;
  it('wraps at words and keeps every line within the width', () => {
    const lines = wrapText('Activity of /features/features.10/Relu map 12 over the image', 200, measure);
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(measure(l)).toBeLessThanOrEqual(200);
    expect(lines.join(' ').replace(/\s/g, '')).toBe('Activityof/features/features.10/Relumap12overtheimage');
  });
});

describe('labelRows', () => {
  it('puts overlapping labels on different rows and reuses free rows', () => {
    const labels = [{ x: 50, width: 100 }, { x: 100, width: 100 }, { x: 300, width: 40 }];
    const rows = labelRows(labels);
    expect(rows[0]).not.toBe(rows[1]);
    expect(rows[2]).toBe(0);
  });
  it('never leaves two labels of a row overlapping', () => {
    const labels = Array.from({ length: 20 }, (_, i) => ({ x: (i * 37) % 200, width: 30 + (i % 3) * 20 }));
    const rows = labelRows(labels, 4);
    for (let i = 0; i < labels.length; i++)
      for (let j = i + 1; j < labels.length; j++) {
        if (rows[i] !== rows[j]) continue;
        const [a, b] = labels[i].x < labels[j].x ? [labels[i], labels[j]] : [labels[j], labels[i]];
        expect(a.x + a.width + 4).toBeLessThanOrEqual(b.x);
      }
  });
});

describe('niceTicks', () => {
  it('gives round steps instead of bin edges', () => {
    expect(niceTicks(0, 0.5, 5)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5]);
    expect(niceTicks(0.016, 0.7, 6)).toEqual([0.2, 0.4, 0.6]);
    expect(niceTicks(0, 9.61, 4)).toEqual([0, 2.5, 5, 7.5]);
  });
  it('handles flat and reversed ranges', () => {
    expect(niceTicks(3, 3)).toEqual([3]);
    expect(niceTicks(10, 0, 2)).toEqual([0, 5, 10]);
  });
});
