// `npx vitest bench --run src-main/core/images/folder.bench.ts`
// Listing 10,000 images must take well under 2 s (a folder view opens on it); this measures it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bench, describe } from 'vitest';
import { listImageFolder } from './folder.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'convscope-bench-'));
for (let k = 0; k < 10; k++) mkdirSync(path.join(root, `class${k}`));
for (let i = 0; i < 10_000; i++) writeFileSync(path.join(root, `class${i % 10}`, `img${i}.png`), '');
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

describe('listImageFolder', () => {
  bench('10,000 files in 10 classes', async () => {
    const listing = await listImageFolder(root);
    if (listing.entries.length !== 10_000) throw new Error(`listed ${listing.entries.length}`);
  }, { iterations: 10 });
});
