// The layer table of eslint.config.js holds: lint refuses an import that points up (an analysis
// reaching into the service, the runtime into the model…) and lets every allowed one through. Run on
// files that exist only in memory, at real paths of the tree, with the project's own lint config.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
// @ts-expect-error eslint.config.js is plain JavaScript without types
import { MAY_IMPORT } from '../eslint.config.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const eslint = new ESLint({ cwd: root });

async function lint(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result.messages.map((m) => m.message);
}

const layers = Object.keys(MAY_IMPORT as Record<string, string[]>);

describe('the layer table', () => {
  it('refuses an analysis importing the service', async () => {
    const messages = await lint('src-main/core/analysis/topk/probe.ts', "import { createService } from '../../service/service.ts';\nexport const s = ConvscopeService;\n");
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/core\/analysis may import only common, onnx, images, jobs, deconv, runtime, model/);
  });

  it('refuses every import above a layer and allows every one below, tests included', async () => {
    const table = MAY_IMPORT as Record<string, string[]>;
    for (const from of layers) {
      for (const to of layers) {
        if (to === from) continue;
        for (const file of [`src-main/core/${from}/probe.ts`, `src-main/core/${from}/probe.test.ts`]) {
          const messages = await lint(file, `import { x } from '../${to}/thing.ts';\nexport const y = x;\n`);
          expect(messages.length, `${file} → core/${to}`).toBe(table[from].includes(to) ? 0 : 1);
        }
      }
    }
  }, 120_000);

  it('keeps the shells out of core and core out of common', async () => {
    expect(await lint('src-main/core/model/probe.ts', "import { x } from '../../cli/thing.ts';\nexport const y = x;\n")).toHaveLength(1);
    expect(await lint('src-main/common/probe.ts', "import { x } from '../core/model/thing.ts';\nexport const y = x;\n")).toHaveLength(1);
    expect(await lint('src-main/cli/probe.ts', "import { x } from '../core/service/thing.ts';\nexport const y = x;\n")).toHaveLength(0);
  });

  it('lets only the compute process reach the probe fit\'s Gemm (it loads onnxruntime)', async () => {
    const refused = [
      ['src-main/core/analysis/probe/run.ts', "import { fitProbe } from './fit.ts';\nexport const y = fitProbe;\n"],
      ['src-main/core/analysis/compute-tasks.ts', "import { fitProbe } from './probe/fit.ts';\nexport const y = fitProbe;\n"],
      ['src-main/core/analysis/compute-worker.ts', "import { processTasks } from './compute-process-tasks.ts';\nexport const y = processTasks;\n"],
      ['src-main/core/model/probe.ts', "import { gemm } from '../runtime/gemm.ts';\nexport const y = gemm;\n"],
      ['src-main/core/runtime/probe.ts', "import { gemm } from './gemm.ts';\nexport const y = gemm;\n"],
    ];
    for (const [file, code] of refused) expect(await lint(file, code), file).toEqual([expect.stringMatching(/loads onnxruntime: only the compute process imports it/)]);
    const allowed = [
      ['src-main/core/analysis/probe/run.ts', "import type { ProbeFit } from './fit.ts';\nexport type Y = ProbeFit;\n"],
      ['src-main/core/analysis/compute-process.ts', "import { processTasks } from './compute-process-tasks.ts';\nexport const y = processTasks;\n"],
      ['src-main/core/analysis/compute-process-tasks.ts', "import { fitProbe } from './probe/fit.ts';\nexport const y = fitProbe;\n"],
      ['src-main/core/analysis/probe/cholesky.ts', "import { choleskyStep } from '../../runtime/gemm.ts';\nexport const y = choleskyStep;\n"],
      ['src-main/core/analysis/probe/fit.test.ts', "import { fitProbe } from './fit.ts';\nexport const y = fitProbe;\n"],
    ];
    for (const [file, code] of allowed) expect(await lint(file, code), file).toEqual([]);
  });
});
