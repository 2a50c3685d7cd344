import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageError } from './errors.ts';
import { compareNatural, listImageFolder, skipReason } from './folder.ts';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'convscope-folder-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function touch(root: string, rel: string, content = 'x'): Promise<void> {
  await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await writeFile(path.join(root, rel), content);
}

describe('listImageFolder', () => {
  it('follows the ImageFolder convention, skips non-images, ignores hidden files', async () => {
    const root = path.join(tmp, 'mixed');
    for (const f of [
      'cat/img10.png', 'cat/img2.JPG', 'cat/img1.jpeg', 'dog/a.webp', 'dog/deep/er/b.gif', 'loose.png', 'scan.TIFF', 'photo.avif',
      'notes.txt', 'cat/README', 'dog/x.bmp', '.DS_Store', 'cat/.hidden.png', '.git/objects/aa.png',
    ]) await touch(root, f);
    await mkdir(path.join(root, 'empty-class'));

    const listing = await listImageFolder(root);
    expect(listing.root).toBe(root);
    expect(listing.entries).toEqual([
      { path: 'cat/img1.jpeg', className: 'cat' },
      { path: 'cat/img2.JPG', className: 'cat' },
      { path: 'cat/img10.png', className: 'cat' },
      { path: 'dog/a.webp', className: 'dog' },
      { path: 'dog/deep/er/b.gif', className: 'dog' }, // deeper nesting: the first-level folder
      { path: 'loose.png', className: null },
      { path: 'photo.avif', className: null },
      { path: 'scan.TIFF', className: null },
    ]);
    expect(listing.classes).toEqual(['cat', 'dog']); // empty-class has no images
    expect(listing.skipped).toEqual([
      { path: 'cat/README', reason: 'not an image (no extension)' },
      { path: 'dog/x.bmp', reason: 'unsupported image format (.bmp)' },
      { path: 'notes.txt', reason: 'not an image (.txt)' },
    ]);
  });

  it('an empty folder is not an error', async () => {
    const root = path.join(tmp, 'empty');
    await mkdir(root);
    expect(await listImageFolder(root)).toEqual({ root, entries: [], classes: [], skipped: [] });
  });

  it('follows symlinks, without looping on a link to an ancestor', async () => {
    const root = path.join(tmp, 'links');
    await touch(root, 'real/a.png');
    await touch(tmp, 'outside/b.png');
    await symlink(path.join(tmp, 'outside'), path.join(root, 'linked'));
    await symlink(root, path.join(root, 'real', 'loop'));
    await symlink(path.join(root, 'missing.png'), path.join(root, 'dangling.png'));
    const listing = await listImageFolder(root);
    expect(listing.entries.map((e) => e.path)).toEqual(['linked/b.png', 'real/a.png']);
    expect(listing.skipped).toEqual([{ path: 'dangling.png', reason: 'broken link or unreadable entry' }]);
  });

  it('names the path when the folder is missing or not a folder', async () => {
    const missing = path.join(tmp, 'nope');
    const err = await listImageFolder(missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageError);
    expect(err).toMatchObject({ code: 'FOLDER_NOT_FOUND', file: missing });
    expect((err as Error).message).toContain(missing);

    const file = path.join(tmp, 'file.png');
    await writeFile(file, 'x');
    await expect(listImageFolder(file)).rejects.toMatchObject({ code: 'FOLDER_NOT_FOUND', message: `${file} is not a folder` });
  });

  it('FOLDER_UNREADABLE for a folder without read permission (skipped as root, who reads anything)', async (ctx) => {
    if (process.getuid?.() === 0) ctx.skip('running as root, who can read any folder');
    const root = path.join(tmp, 'locked');
    await mkdir(root, { mode: 0o000 });
    await expect(listImageFolder(root)).rejects.toMatchObject({ code: 'FOLDER_UNREADABLE', file: root });
  });

  it('stops when aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(listImageFolder(tmp, { signal: ac.signal })).rejects.toThrow(/abort/i);
  });

  it('lists 10,000 files in 10 classes correctly, without opening them', async () => {
    // The files are not images at all: listing goes by name, so any content will do, and a
    // decode attempt would fail loudly. Timing lives in folder.bench.ts.
    const root = path.join(tmp, 'big');
    const classes = Array.from({ length: 10 }, (_, k) => `class${k}`);
    for (const c of classes) await mkdir(path.join(root, c), { recursive: true });
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 10_000; i++) {
      writes.push(writeFile(path.join(root, classes[i % 10], `img${i}.png`), ''));
      if (writes.length === 500) await Promise.all(writes.splice(0));
    }
    await Promise.all(writes);
    await writeFile(path.join(root, 'class3', 'labels.csv'), '');

    const listing = await listImageFolder(root);
    expect(listing.entries).toHaveLength(10_000);
    expect(listing.classes).toEqual(classes);
    expect(listing.skipped).toEqual([{ path: 'class3/labels.csv', reason: 'not an image (.csv)' }]);
    // Natural order inside a class: img0, img10, img20, … (not img0, img1000, img1010, …).
    const class0 = listing.entries.filter((e) => e.className === 'class0').map((e) => e.path);
    expect(class0).toEqual(Array.from({ length: 1000 }, (_, j) => `class0/img${j * 10}.png`));
    expect(listing.entries.slice(995, 1005).map((e) => e.path)).toEqual([
      ...[9950, 9960, 9970, 9980, 9990].map((n) => `class0/img${n}.png`),
      ...[1, 11, 21, 31, 41].map((n) => `class1/img${n}.png`),
    ]);
  });
});

describe('helpers', () => {
  it('compareNatural orders numbers by value and keeps folders together', () => {
    const paths = ['b/1.png', 'a/img10.png', 'a/img9.png', 'a b/1.png', 'A/img1.png', 'a/sub/img1.png'];
    expect([...paths].sort(compareNatural)).toEqual(['A/img1.png', 'a/img9.png', 'a/img10.png', 'a/sub/img1.png', 'a b/1.png', 'b/1.png']);
  });

  it('skipReason goes by extension, case-insensitively', () => {
    expect(skipReason('x.PNG')).toBeNull();
    expect(skipReason('x.jpe')).toBeNull();
    expect(skipReason('x.txt')).toBe('not an image (.txt)');
    expect(skipReason('x.HEIC')).toBe('unsupported image format (.heic)');
  });
});
