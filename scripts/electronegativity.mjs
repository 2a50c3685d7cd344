#!/usr/bin/env node
// Runs @doyensec/electronegativity over the Electron shell and the renderer's HTML. The tool exits 0
// whatever it finds, so we read its CSV and fail on any HIGH-severity finding.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tool = path.join(root, 'node_modules/@doyensec/electronegativity/dist/index.js');
const electronVersion = JSON.parse(readFileSync(path.join(root, 'node_modules/electron/package.json'), 'utf8')).version;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'eneg-'));
/** RFC 4180 rows: quoted fields may hold commas, quotes ("") and newlines. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(field.trim()), (field = '');
    else if (ch === '\n') row.push(field.trim()), rows.push(row), (row = []), (field = '');
    else if (ch !== '\r') field += ch;
  }
  if (field || row.length) row.push(field.trim()), rows.push(row);
  return rows.filter((r) => r.some(Boolean));
}

let high = 0;
let total = 0;
try {
  // One scan over the shell and the page together: its global checks (navigation limits, permission
  // handlers, CSP) must see the handlers in main and the CSP in the page as one application.
  const app = path.join(tmp, 'app');
  cpSync(path.join(root, 'src-main/electron'), app, { recursive: true });
  copyFileSync(path.join(root, 'src-renderer/index.html'), path.join(app, 'index.html'));
  for (const input of [app]) {
    const csv = path.join(tmp, 'findings.csv');
    const r = spawnSync(process.execPath, [tool, '-i', input, '-o', csv, '-r', '-v', 'false', '-e', electronVersion], {
      cwd: root,
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (r.status !== 0) {
      console.error(r.stdout, r.stderr);
      throw new Error(`electronegativity failed on ${input} (exit ${r.status})`);
    }
    const rows = parseCsv(readFileSync(csv, 'utf8')).slice(1);
    for (const [issue, severity, confidence, file, location] of rows) {
      total++;
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
