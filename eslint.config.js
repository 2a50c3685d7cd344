// Lint enforces the layering of DESIGN §1: imports point one way, and electron / onnxruntime-node
// are imported only in their own folders.
//
// The layers, lowest first. A folder may import from the folders listed for it and from common/,
// never from one above it (in the manner of VS Code's layer table):
//
//   common/        pure TypeScript shared with the renderer; imports nothing else
//   core/onnx      parse and rewrite ONNX, graph analysis
//   core/images    folders, decoding, preprocessing, transforms        ← onnx
//   core/jobs      progress, cancellation, the compute pool            ← (nothing in core)
//   core/deconv    the deconv engine                                    ← onnx
//   core/runtime   the runtime process and its host                     ← onnx, deconv
//   core/model     the open model as analyses use it                    ← onnx, images, deconv, runtime
//   core/analysis  spectra, invariance, occlusion, top-k, …             ← onnx, images, jobs, deconv, runtime, model
//   core/distributed  scans spread over workers (BullMQ on Redis)       ← all of the above
//   core/service   the front door: contract calls → core functions     ← all of core
//   electron/, server/, cli/   the shells                               ← core, common
//   src-renderer/  the views                                            ← common only
import tseslint from 'typescript-eslint';

const restrict = (patterns, message) => ({ group: patterns, message });

const CORE = ['onnx', 'images', 'jobs', 'deconv', 'runtime', 'model', 'analysis', 'distributed', 'service'];
export const MAY_IMPORT = {
  onnx: [],
  images: ['onnx'],
  jobs: [],
  deconv: ['onnx'],
  runtime: ['onnx', 'deconv'],
  model: ['onnx', 'images', 'deconv', 'runtime'],
  analysis: ['onnx', 'images', 'jobs', 'deconv', 'runtime', 'model'],
  distributed: ['onnx', 'images', 'jobs', 'deconv', 'runtime', 'model', 'analysis'],
  service: ['onnx', 'images', 'jobs', 'deconv', 'runtime', 'model', 'analysis', 'distributed'],
};

const noElectron = restrict(['electron', 'electron/*'], 'electron is imported only in src-main/electron/');
const noOrt = restrict(['onnxruntime-node'], 'onnxruntime-node is imported only in src-main/core/runtime/');
const noShells = restrict(['**/electron/**', '**/server/**', '**/cli/**'], 'core/ imports only common/ and itself');
// Models are read and parsed in the runtime process (core/runtime), never on a thread that routes
// messages: a 250 MB model blocked Node's event loop for most of a second.
const parseOffMain = {
  group: ['**/onnx/index.ts', '**/onnx/model.ts'],
  importNames: ['loadModelFile', 'parseModel'],
  message: 'models are parsed in the runtime process: use RuntimeHost.open/describe (core/runtime)',
};

// onnxruntime loads only in processes of its own (README, "Security"): the runtime process, and the
// compute process of the probe fit, whose Gemm (runtime/gemm.ts) is reached only through the compute
// process's task table. Anything else importing these would load onnxruntime in the app's own
// process or its worker threads (src-main/ort-isolation.test.ts checks the whole import graph).
const PROCESS_ONLY = ['**/runtime/gemm.ts', './gemm.ts', '**/probe/fit.ts', '**/probe/cholesky.ts', './fit.ts', './cholesky.ts', '**/compute-process-tasks.ts', './compute-process-tasks.ts'];
const processOnly = {
  group: PROCESS_ONLY,
  allowTypeImports: true,
  message: 'loads onnxruntime: only the compute process imports it (analysis/compute-process.ts → compute-process-tasks.ts → probe/fit.ts, cholesky.ts → runtime/gemm.ts); run it through analysisProcessPool()',
};
/** The files of that chain, each allowed its next link. */
const PROCESS_CHAIN = ['src-main/core/analysis/compute-process.ts', 'src-main/core/analysis/compute-process-tasks.ts', 'src-main/core/analysis/probe/fit.ts', 'src-main/core/analysis/probe/cholesky.ts'];

/** The folders of core/ that `layer` must not import: every one not listed for it. */
function above(layer) {
  const banned = CORE.filter((f) => f !== layer && !MAY_IMPORT[layer].includes(f));
  return banned.length ? [restrict(banned.map((f) => `**/${f}/**`), `core/${layer} may import only ${['common', ...MAY_IMPORT[layer]].join(', ')} (eslint.config.js: the layer table)`)] : [];
}

const layerPatterns = (layer) => [
  noElectron,
  ...(layer === 'runtime' ? [] : [noOrt]),
  noShells,
  ...above(layer),
  ...(layer === 'runtime' || layer === 'onnx' ? [] : [parseOffMain]),
];

const layerBlocks = [
  ...CORE.map((layer) => ({
    files: [`src-main/core/${layer}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns: [...layerPatterns(layer), processOnly] }] },
  })),
  { files: PROCESS_CHAIN, rules: { 'no-restricted-imports': ['error', { patterns: layerPatterns('analysis') }] } },
];

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', '**/fixtures/**'] },
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      'no-restricted-imports': ['error', { patterns: [noElectron, noOrt, parseOffMain] }],
    },
  },
  {
    files: ['src-main/electron/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [noOrt, parseOffMain] }],
    },
  },
  ...layerBlocks,
  // Tests (and their helpers, testing.ts) may drive onnxruntime-node directly to check what the core
  // produced, and read models themselves; the layer table holds for them too.
  ...CORE.map((layer) => ({
    files: [`src-main/core/${layer}/**/*.test.ts`, `src-main/core/${layer}/**/testing.ts`, `src-main/core/${layer}/**/testing/*.ts`],
    rules: {
      'no-restricted-imports': ['error', { patterns: [noElectron, noShells, ...above(layer)] }],
    },
  })),
  {
    files: ['src-main/**/*.test.ts', 'src-main/**/testing.ts', 'scripts/**/*.ts'],
    ignores: ['src-main/core/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [noElectron] }],
    },
  },
  {
    files: ['src-main/common/**/*.ts'],
    ignores: ['src-main/common/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          restrict(['node:*', 'fs', 'path', 'os', 'electron', 'onnxruntime-node', 'sharp'], 'common/ is pure TypeScript shared with the renderer'),
          restrict(['../core/*', '../electron/*', '../server/*', '../cli/*', '**/core/**', '**/server/**'], 'common/ imports nothing from the other layers'),
        ],
      }],
    },
  },
  {
    // Tests of common/ run in Node and may check against Node's own implementations (zlib, sharp).
    files: ['src-main/common/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [restrict(['../core/*', '../electron/*', '../server/*', '../cli/*', '**/core/**', '**/server/**'], 'common/ imports nothing from the other layers')],
      }],
    },
  },
  {
    files: ['src-renderer/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          restrict(['node:*', 'electron', 'onnxruntime-node', 'sharp', 'ws'], 'the renderer has no Node'),
          restrict(['**/src-main/core/**', '**/src-main/server/**', '**/src-main/electron/**', '**/src-main/cli/**'], 'the renderer imports only src-main/common/'),
        ],
      }],
    },
  },
);
