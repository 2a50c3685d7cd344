import { describe, expect, it } from 'vitest';
import { layoutFigure, TEXT_STYLES, type FigureItem, type FigurePanel, type Measure } from './figure-layout.ts';
import { topkFigureSpec } from './topk-export.ts';

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

describe('the Top-9 figure (topkFigureSpec)', () => {
  const tiles = Array.from({ length: 9 }, (_, i) => ({ image: `class-${i}/a-rather-long-image-name-${i}.png`, position: [i, 12 - i] as const, value: 12.345678 / (i + 1) }));
  // Patches cut at the image border are not square.
  const pictures = tiles.map((_, i) => ({ projection: i === 4 ? null : { width: 64, height: 64, draw: () => {} }, patch: { width: 64, height: 40 + i, draw: () => {} } }));
  const fmt = (v: number) => v.toPrecision(3);
  const spec = (n: number) => topkFigureSpec({ title: 'Top-9 of layer conv5 after its ReLU: relu5, map 236', channel: 236, tiles: tiles.slice(0, n), pictures: pictures.slice(0, n), fmt, captionLine: 'model zf.onnx · layer conv5 · 2026-11-29 04:00 UTC' });

  for (const n of [9, 6, 4, 1]) {
    it(`${n} ranks: every label above its own picture, none on a picture, no swatch, all inside`, () => {
      const l = layoutFigure(spec(n), measure);
      const pics = l.items.filter((i) => i.kind === 'picture' && i.w > 0);
      expect(pics).toHaveLength(2 * n);
      expect(l.items.filter((i) => i.kind === 'swatch' || i.kind === 'line'), 'no legend swatches beside the rank lines').toEqual([]);
      const texts = l.items.filter((i) => i.kind === 'text');
      for (const p of pics) for (const t of texts) expect(overlaps(p, t), `${JSON.stringify(t)} on a picture`).toBe(false);
      for (const item of l.items) {
        const [x, y, w, h] = box(item);
        expect(x + w).toBeLessThanOrEqual(l.width);
        expect(y + h).toBeLessThanOrEqual(l.height);
      }
      // Each picture's label is the text right above it, left-aligned with it: `#r · a = v` over projections, `#r` over patches.
      pics.forEach((p) => {
        const label = texts.filter((t) => t.x === p.x && t.y < p.y).sort((a, b) => b.y - a.y)[0];
        expect(label && label.kind === 'text' ? label.text : '').toMatch(/^#\d+( · a = \S+)?$/);
      });
      // The ranks in words, one caption line each.
      for (let i = 0; i < n; i++) expect(spec(n).caption).toContain(`${i + 1}. ${tiles[i].image} at (${i}, ${12 - i}): a = ${fmt(tiles[i].value)}`);
    });
  }

  it('projections left, patches right, a wider gap between them', () => {
    const l = layoutFigure(spec(9), measure);
    const firstRow = l.items.filter((i) => i.kind === 'picture' && i.y === l.items.find((j) => j.kind === 'picture')!.y);
    const xs = firstRow.map((p) => p.x);
    expect(xs).toHaveLength(6);
    const gaps = xs.slice(1).map((x, i) => x - xs[i]);
    expect(gaps[2]).toBeGreaterThan(gaps[1]);
  });
});

describe('legend entries', () => {
  it('without a colour: text alone; with a dash: a line sample; else a square swatch, none overprinting', () => {
    const l = layoutFigure({
      title: 't',
      rows: [[panel('p', { legend: [{ label: 'text alone' }, { colour: '#f00', dash: [5, 3], label: 'layer mean' }, { colour: '#0f0', label: 'a swatch' }] })]],
      caption: [],
    }, measure);
    expect(l.items.filter((i) => i.kind === 'swatch')).toHaveLength(1);
    const line = l.items.find((i) => i.kind === 'line');
    expect(line && line.kind === 'line' ? line.dash : null).toEqual([5, 3]);
    const alone = l.items.find((i) => i.kind === 'text' && i.text === 'text alone')!;
    const pic = l.items.find((i) => i.kind === 'picture')!;
    expect(alone.x).toBe(pic.x);
    const drawn = l.items.filter((i) => i.kind !== 'picture');
    for (let i = 0; i < drawn.length; i++) for (let j = i + 1; j < drawn.length; j++) expect(overlaps(drawn[i], drawn[j])).toBe(false);
  });
});
