// onnxruntime's own words reach a CLI user as plain sentences: no C++ signatures, no coloured log lines
// (the runtime process keeps onnxruntime's log to itself; core/runtime/ort-errors.ts words its errors).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../core/onnx/index.ts';
import { ortVersion } from '../core/runtime/ort-errors.ts';
import { runCli } from './testing.ts';

let dir: string;

/** A small classifier at the given opset; `unused` adds an initializer no node reads (ORT warns about those). */
function classifier(opset: number, unused = false): Uint8Array {
  const b = new GraphBuilder({ opset, seed: 4 });
  let h = b.input('input', ['N', 1, 16, 16]);
  h = b.conv(h, { outChannels: 4, kernel: 3, pad: 1, name: 'conv1' });
  h = b.relu(h, 'relu1');
  h = b.flatten(h, 1, 'flat');
  b.output(b.gemm(h, { out: 3, name: 'logits' }));
  if (unused) b.initializer('never_read', [4], [1, 2, 3, 4]);
  return b.build();
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'convscope-ort-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("onnxruntime's messages", () => {
  it('an opset newer than onnxruntime supports is named, with the supported one and what to do', async () => {
    const file = path.join(dir, 'future.onnx');
    writeFileSync(file, classifier(99));
    const r = await runCli(['info', '--model', file, '--json', '--provider', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`future\\.onnx uses opset 99 of ai\\.onnx, newer than onnxruntime ${ortVersion().replace(/\./g, '\\.')} supports \\(up to opset \\d+\\)`));
    expect(r.stderr).toMatch(/opset_version=/);
    expect(r.stderr).not.toMatch(/onnxruntime::|\.h:\d+|std::/);
  }, 60_000);

  it("onnxruntime's own log lines do not reach the terminal", async () => {
    const file = path.join(dir, 'warns.onnx');
    writeFileSync(file, classifier(13, true));
    const r = await runCli(['info', '--model', file, '--json', '--provider', 'cpu']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).layers.length).toBeGreaterThan(0);
    expect(r.stderr).not.toMatch(/\x1b\[|onnxruntime|Removing initializer/);
  }, 60_000);
});
