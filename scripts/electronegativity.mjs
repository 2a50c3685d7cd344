#!/usr/bin/env node
// Runs @doyensec/electronegativity over the Electron shell and the renderer's HTML. The tool exits 0
// whatever it finds, so we read its CSV and fail on any HIGH-severity finding.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tool = path.join(root, 'node_modules/@doyensec/electronegativity/dist/index.js');
const electronVersion = JSON.parse(readFileSync(path.join(root, 'node_modules/electron/package.json'), 'utf8')).version;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'eneg-'));
let high = 0;
let total = 0;
try {
  for (const input of ['src-main/electron', 'src-renderer/index.html']) {
    const csv = path.join(tmp, `${input.replace(/[^a-z]/gi, '_')}.csv`);
    const r = spawnSync(process.execPath, [tool, '-i', path.join(root, input), '-o', csv, '-r', '-v', 'false', '-e', electronVersion], {
      cwd: root,
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (r.status !== 0) {
      console.error(r.stdout, r.stderr);
      throw new Error(`electronegativity failed on ${input} (exit ${r.status})`);
    }
    const rows = readFileSync(csv, 'utf8').trim().split('\n').slice(1).filter(Boolean);
    for (const row of rows) {
      total++;
      const [issue, severity, confidence, file, location] = row.split(',').map((c) => c.replace(/^"|"$/g, ''));
      const line = `${severity.padEnd(8)} ${confidence.padEnd(10)} ${issue} ${file}:${location}`;
      if (severity === 'HIGH') {
        high++;
        console.error(`✗ ${line}`);
      } else {
        console.log(`  ${line}`);
      }
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`electronegativity: ${total} findings, ${high} high-severity`);
process.exit(high > 0 ? 1 : 0);
