import { describe, expect, it } from 'vitest';
import { folderSummary } from './folder-summary.ts';

describe('folderSummary', () => {
  it('1 good image, 4 broken ones and a text file: "1 image · 5 files skipped", which adds up to the 6 files', () => {
    const s = folderSummary({
      count: 5,
      classes: [],
      skipped: [
        { path: 'b1.png', reason: 'b1.png: the image is truncated or damaged (libpng read error)', unreadable: true },
        { path: 'b2.png', reason: 'b2.png: the image is truncated or damaged (libpng read error)', unreadable: true },
        { path: 'b3.jpg', reason: 'b3.jpg: the image is truncated or damaged (premature end of JPEG image)', unreadable: true },
        { path: 'b4.png', reason: 'b4.png: the file is empty', unreadable: true },
        { path: 'notes.txt', reason: 'not an image (.txt)' },
      ],
    });
    expect(s.images).toBe('1 image');
    expect(s.imageCount).toBe('1 image');
    expect(s.skipped).toBe('5 files skipped');
    expect(s.unreadable.map((f) => f.path)).toEqual(['b1.png', 'b2.png', 'b3.jpg', 'b4.png']);
    expect(s.others.map((f) => f.path)).toEqual(['notes.txt']);
  });

  it('before any decode failed, and with classes', () => {
    expect(folderSummary({ count: 1200, classes: ['cat', 'dog'], skipped: [] })).toEqual({ imageCount: '1,200 images', images: '1,200 images · 2 classes', skipped: null, unreadable: [], others: [] });
    expect(folderSummary({ count: 1, classes: ['cat'], skipped: [{ path: 'x', reason: 'r' }] })).toMatchObject({ images: '1 image · 1 class', skipped: '1 file skipped' });
  });
});
