import { describe, expect, it } from 'vitest';
import { layoutFigure, TEXT_STYLES, type FigureItem, type FigurePanel, type Measure } from './figure-layout.ts';

// A stand-in for canvas text metrics: a fixed advance per character, wider for bold and larger sizes.
const measure: Measure = (text, style) => text.length * TEXT_STYLES[style].size * (TEXT_STYLES[style].weight > 400 ? 0.62 : 0.55);

const panel = (title: string, extra: Partial<FigurePanel> = {}): FigurePanel => ({ title, width: 200, height: 150, draw: () => {}, ...extra });

function box(item: FigureItem): [number, number, number, number] {
  if (item.kind === 'text') return [item.x, item.y, item.width, TEXT_STYLES[item.style].size];
  return [item.x, item.y, item.w, item.h];
}

function overlaps(a: FigureItem, b: FigureItem): boolean {
  const [ax, ay, aw, ah] = box(a);
  const [bx, by, bw, bh] = box(b);
  return ax < bx + bw && bx < ax + aw && ay < by + bh && by < ay + ah;
}

describe('layoutFigure', () => {
  const spec = {
    title: 'Occlusion sensitivity of a/very/long/path/to/an/image/with/a/name/that/goes/on/img00.png: 28×28 px square, stride 14 (15×15 positions), target 281 tabby cat',
    rows: [
      [
        panel('Total activity of map 12 of features.12/MaxPool_output_0 at each occluder position', { colourBar: { stops: ['#000', '#fff'], lo: '0.000123', hi: '12345.678' } }),
        panel('P(target)', { colourBar: { stops: ['#000', '#fff'], lo: '0.0 %', hi: '100 %' } }),
        panel('Most probable class', { legend: Array.from({ length: 9 }, (_, i) => ({ colour: `#${i}${i}${i}`, label: `class ${i * 111} a rather long label for the legend entry ${i}` })) }),
      ],
      [panel('Second row', { note: 'Display: v / max|v| mapped to 0..255 around grey (128); grey = no contribution.' })],
    ],
    caption: ['model alexnet.onnx · layer conv5 · image cats/img00.png · 2026-11-29 04:00 UTC', 'a second caption line, long enough to wrap across the width of the figure when the figure is narrow'],
  };

  it('no two texts or swatches overprint, and everything lies inside the figure', () => {
    const l = layoutFigure(spec, measure);
    for (const item of l.items) {
      const [x, y, w, h] = box(item);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(x + w).toBeLessThanOrEqual(l.width);
      expect(y + h).toBeLessThanOrEqual(l.height);
    }
    const drawn = l.items.filter((i) => i.kind !== 'picture');
    for (let i = 0; i < drawn.length; i++) for (let j = i + 1; j < drawn.length; j++) expect(overlaps(drawn[i], drawn[j]), `${JSON.stringify(drawn[i])} / ${JSON.stringify(drawn[j])}`).toBe(false);
  });

  it('keeps every word of the title and captions (wrapped, not clipped)', () => {
    const l = layoutFigure(spec, measure);
    const text = l.items.filter((i) => i.kind === 'text').map((i) => (i.kind === 'text' ? i.text : '')).join(' ');
    for (const word of [...spec.title.split(' '), ...spec.caption.join(' ').split(' ')]) expect(text.replace(/\s+/g, '')).toContain(word);
  });

  it('puts pictures where their panels are: columns side by side, rows below each other', () => {
    const l = layoutFigure(spec, measure);
    const pics = l.items.filter((i) => i.kind === 'picture');
    expect(pics).toHaveLength(4);
    expect(pics[1].x).toBeGreaterThanOrEqual(pics[0].x + 200);
    expect(pics[2].x).toBeGreaterThanOrEqual(pics[1].x + 200);
    expect(pics[3].y).toBeGreaterThan(pics[0].y + 150);
    for (const p of pics) for (const t of l.items.filter((i) => i.kind === 'text')) expect(overlaps(p, t)).toBe(false);
  });
});
