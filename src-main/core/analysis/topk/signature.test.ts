// File signatures on real files: what changes them and what does not.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { imageSignature, listSignatures, MISSING, SIGNATURE_PATTERN, signatureOf } from './signature.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'convscope-signature-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The file's stat as a file system without inode numbers reports it. */
const noInode = (file: string) => {
  const st = statSync(file, { bigint: true });
  return { size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, ino: 0n, isFile: () => true };
};

describe('image signatures', () => {
  it('change when content is replaced behind the old size and mtime (touch -r), not when nothing changed', async () => {
    const file = path.join(tmp, 'a.png');
    const ref = path.join(tmp, 'ref');
    writeFileSync(file, 'AAAA');
    writeFileSync(ref, '');
    execFileSync('touch', ['-r', file, ref]);
    const first = await imageSignature(file);
    expect(first).toMatch(SIGNATURE_PATTERN);
    expect(await imageSignature(file)).toBe(first);
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(file, 'BBBB');
    execFileSync('touch', ['-r', ref, file]);
    expect(await imageSignature(file)).not.toBe(first);
  });

  it('hash the content where there are no inode numbers: equal content, equal signature', async () => {
    const a = path.join(tmp, 'h1.png');
    const b = path.join(tmp, 'h2.png');
    writeFileSync(a, 'same bytes');
    writeFileSync(b, 'same bytes');
    const sa = await signatureOf(a, noInode(a));
    expect(sa).toMatch(/^s10\.h[0-9a-f]{64}$/);
    expect(sa).toMatch(SIGNATURE_PATTERN);
    expect(await signatureOf(b, noInode(b))).toBe(sa);
    writeFileSync(b, 'same byteZ');
    expect(await signatureOf(b, noInode(b))).not.toBe(sa);
  });

  it('are "missing" for a file that is gone or a folder, and come in listing order', async () => {
    mkdirSync(path.join(tmp, 'dir.png'));
    writeFileSync(path.join(tmp, 'ok.png'), 'x');
    const listed = await listSignatures(tmp, ['gone.png', 'dir.png', 'ok.png']);
    expect(listed.map((l) => l.path)).toEqual(['gone.png', 'dir.png', 'ok.png']);
    expect(listed.map((l) => l.sig === MISSING)).toEqual([true, true, false]);
  });
});
