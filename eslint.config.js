// Lint enforces the layering of DESIGN §1: imports point one way, and electron / onnxruntime-node
// are imported only in their own folders.
import tseslint from 'typescript-eslint';

const restrict = (patterns, message) => ({ group: patterns, message });
// Models are read and parsed in the runtime process (core/runtime), never on a thread that routes
// messages: a 250 MB model blocked Node's event loop for most of a second.
const parseOffMain = {
  group: ['**/onnx/index.ts', '**/onnx/model.ts'],
  importNames: ['loadModelFile', 'parseModel'],
  message: 'models are parsed in the runtime process: use RuntimeHost.open/describe (core/runtime)',
};

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', '**/fixtures/**'] },
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          restrict(['electron', 'electron/*'], 'electron is imported only in src-main/electron/'),
          restrict(['onnxruntime-node'], 'onnxruntime-node is imported only in src-main/core/runtime/'),
          parseOffMain,
        ],
      }],
    },
  },
  {
    files: ['src-main/electron/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [restrict(['onnxruntime-node'], 'onnxruntime-node is imported only in src-main/core/runtime/'), parseOffMain] }],
    },
  },
  {
    // Tests (and their helpers, testing.ts) may drive onnxruntime-node directly to check what the core produced.
    files: ['src-main/core/runtime/**/*.ts', 'src-main/**/*.test.ts', 'src-main/**/testing.ts', 'scripts/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [restrict(['electron', 'electron/*'], 'electron is imported only in src-main/electron/')] }],
    },
  },
  {
    files: ['src-main/common/**/*.ts'],
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
    files: ['src-main/core/**/*.ts'],
    ignores: ['src-main/core/runtime/**', 'src-main/**/*.test.ts', 'src-main/**/testing.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          restrict(['electron', 'electron/*'], 'core/ never imports electron'),
          restrict(['onnxruntime-node'], 'onnxruntime-node is imported only in src-main/core/runtime/'),
          restrict(['**/electron/**', '**/server/**', '**/cli/**'], 'core/ imports only common/ and itself'),
          parseOffMain,
        ],
      }],
    },
  },
  {
    // jobs/ sits low in core (DESIGN §1): the analyses and the service import it, never the reverse.
    files: ['src-main/core/jobs/**/*.ts'],
    ignores: ['src-main/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          restrict(['electron', 'electron/*'], 'core/ never imports electron'),
          restrict(['onnxruntime-node'], 'onnxruntime-node is imported only in src-main/core/runtime/'),
          restrict(['**/electron/**', '**/server/**', '**/cli/**'], 'core/ imports only common/ and itself'),
          restrict(['**/analysis/**', '**/service/**', '**/model/**', '**/deconv/**', '**/images/**', '**/runtime/**'], 'jobs/ is generic: it imports only common/ (analyses import jobs/)'),
        ],
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
